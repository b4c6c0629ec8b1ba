/**
 * Builds small ONNX models in tests (encoded with onnx-proto), so importer features and
 * error paths can be checked against onnxruntime-node without model files.
 */
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';

const { onnx: O } = onnxProto;

export const attr = {
  i: (v: number): onnx.IAttributeProto => ({ type: 2, i: v }),
  f: (v: number): onnx.IAttributeProto => ({ type: 1, f: v }),
  s: (v: string): onnx.IAttributeProto => ({ type: 3, s: new TextEncoder().encode(v) }),
  ints: (v: number[]): onnx.IAttributeProto => ({ type: 7, ints: v }),
  floats: (v: number[]): onnx.IAttributeProto => ({ type: 6, floats: v }),
  t: (v: onnx.ITensorProto): onnx.IAttributeProto => ({ type: 4, t: v }),
};

/** A FLOAT (dtype 1) or INT64 (dtype 7) tensor with typed-field storage; raw: little-endian raw_data. */
export function tensor(name: string, dims: number[], data: ArrayLike<number>, dtype = 1, raw = false): onnx.ITensorProto {
  const t: onnx.ITensorProto = { name, dims, dataType: dtype };
  if (raw) {
    const bytes = dtype === 7 ? new Uint8Array(BigInt64Array.from(Array.from(data, (v) => BigInt(v))).buffer) : new Uint8Array(Float32Array.from(data).buffer);
    t.rawData = bytes;
  } else if (dtype === 7) t.int64Data = Array.from(data);
  else t.floatData = Array.from(data);
  return t;
}

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, onnx.IAttributeProto> = {}, name = `${opType}_${outputs[0]}`): onnx.INodeProto {
  return { opType, input: inputs, output: outputs, name, attribute: Object.entries(attrs).map(([k, a]) => ({ ...a, name: k })) };
}

export const constant = (out: string, dims: number[], data: ArrayLike<number>, dtype = 1): onnx.INodeProto => node('Constant', [], [out], { value: attr.t(tensor(out, dims, data, dtype)) });

const valueInfo = (name: string, dims: (number | string)[], elemType = 1): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

export interface ModelSpec {
  inputs: { name: string; dims: (number | string)[]; elemType?: number }[];
  outputs: { name: string; dims?: (number | string)[] }[];
  nodes: onnx.INodeProto[];
  initializers?: onnx.ITensorProto[];
  opset?: number;
  producer?: string;
}

export function buildModel(spec: ModelSpec): Uint8Array {
  const m = O.ModelProto.create({
    irVersion: 7,
    producerName: spec.producer ?? 'mobilenetv3-webgpu-tests',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'test',
      node: spec.nodes,
      initializer: spec.initializers ?? [],
      input: spec.inputs.map((i) => valueInfo(i.name, i.dims, i.elemType)),
      output: spec.outputs.map((o) => valueInfo(o.name, o.dims ?? [])),
    },
  });
  return O.ModelProto.encode(m).finish();
}

/** Deterministic pseudo-random values in [-scale, scale). */
export function values(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  });
}
