/**
 * TF.js graph-model files: the model.json structure (a TF GraphDef as JSON plus a weights
 * manifest), attribute decoding, and the weight bytes -> tensors step with dequantization
 * (uint8 / uint16 affine `q * scale + min`, float16). Everything malformed is reported as a
 * ModelFormatError naming the file and, where there is one, the weight or node.
 */
import { ModelFormatError } from './errors.js';
import { f16ToF32 } from './safetensors.js';
import type { HostTensor, HostDType } from './tfjs_host.js';

/** TF AttrValue as TF.js's converter writes it (proto3 JSON). */
export interface AttrValue {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  tensor?: TensorProtoJson;
  list?: { s?: string[]; i?: (string | number)[]; f?: number[]; b?: boolean[]; type?: string[] };
}

export interface TensorProtoJson {
  dtype?: string;
  tensorShape?: { dim?: { size?: string | number }[] };
  tensorContent?: string;
  floatVal?: number[];
  intVal?: number[];
  boolVal?: boolean[];
}

export interface TfNodeJson {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValue>;
}

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number; original_dtype?: string };
}

export interface ModelJson {
  format?: string;
  modelTopology: { node: TfNodeJson[]; library?: { function?: unknown[] } };
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
  signature?: {
    inputs?: Record<string, { name: string }>;
    outputs?: Record<string, { name: string }>;
  };
}

/** A TF node with its inputs split into data refs ("x" or "x:1") and control deps. */
export interface TfNode {
  name: string;
  op: string;
  inputs: string[];
  controls: string[];
  attr: Record<string, AttrValue>;
  /** set by the import-time pattern rewrite (_HardSwish / _HardSigmoid): result = act(x) * actScale */
  actScale?: number;
}

/** "x:0" -> "x"; "x:2" stays; "^x" is a control input. */
export const normRef = (r: string): string => r.replace(/:0$/, '');
export const refNode = (r: string): string => r.replace(/^\^/, '').replace(/:\d+$/, '');
export const refIndex = (r: string): number => {
  const m = /:(\d+)$/.exec(r);
  return m ? Number(m[1]) : 0;
};

export function parseModelJson(modelJson: string | object, file: string): ModelJson {
  let j: unknown = modelJson;
  if (typeof modelJson === 'string') {
    try {
      j = JSON.parse(modelJson);
    } catch (e) {
      throw new ModelFormatError(file, `is not valid JSON (${(e as Error).message})`);
    }
  }
  const m = j as ModelJson;
  if (!m || typeof m !== 'object') throw new ModelFormatError(file, 'is not a JSON object');
  if (m.format !== undefined && m.format !== 'graph-model') {
    throw new ModelFormatError(file, `format '${String(m.format)}' is not a TF.js graph model (expected 'graph-model'; layers models are not supported)`);
  }
  if (!m.modelTopology || !Array.isArray(m.modelTopology.node)) throw new ModelFormatError(file, 'modelTopology.node is missing (not a TF.js graph model)');
  if (!Array.isArray(m.weightsManifest)) throw new ModelFormatError(file, 'weightsManifest is missing');
  for (const n of m.modelTopology.node) {
    if (!n || typeof n.name !== 'string' || typeof n.op !== 'string') throw new ModelFormatError(file, `modelTopology has a node without name/op: ${JSON.stringify(n).slice(0, 120)}`);
    if (n.input !== undefined && !Array.isArray(n.input)) throw new ModelFormatError(file, 'input is not a list', n.name);
  }
  for (const g of m.weightsManifest) {
    if (!g || !Array.isArray(g.paths) || !Array.isArray(g.weights)) throw new ModelFormatError(file, 'weightsManifest group needs paths and weights lists');
  }
  return m;
}

export function toTfNodes(m: ModelJson): Map<string, TfNode> {
  const nodes = new Map<string, TfNode>();
  for (const n of m.modelTopology.node) {
    const ins = n.input ?? [];
    nodes.set(n.name, {
      name: n.name,
      op: n.op,
      inputs: ins.filter((r) => !r.startsWith('^')).map(normRef),
      controls: ins.filter((r) => r.startsWith('^')).map((r) => r.slice(1)),
      attr: n.attr ?? {},
    });
  }
  return nodes;
}

// ---------------------------------------------------------------- attributes

/** base64 -> bytes without Node's Buffer (this module also runs in browsers) */
export function base64Bytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
const b64 = (s: string): string => new TextDecoder().decode(base64Bytes(s));

export const attrStr = (n: TfNode, k: string): string | undefined => (n.attr[k]?.s !== undefined ? b64(n.attr[k].s!) : undefined);
export const attrInt = (n: TfNode, k: string): number | undefined => (n.attr[k]?.i !== undefined ? Number(n.attr[k].i) : undefined);
export const attrFloat = (n: TfNode, k: string): number | undefined => n.attr[k]?.f;
export const attrBool = (n: TfNode, k: string): boolean | undefined => n.attr[k]?.b;
export const attrInts = (n: TfNode, k: string): number[] | undefined => n.attr[k]?.list?.i?.map(Number) ?? (n.attr[k]?.list ? [] : undefined);
export const attrStrs = (n: TfNode, k: string): string[] | undefined => n.attr[k]?.list?.s?.map(b64) ?? (n.attr[k]?.list ? [] : undefined);
export const attrShape = (n: TfNode, k: string): number[] | undefined => {
  const s = n.attr[k]?.shape;
  if (!s || s.unknownRank) return undefined;
  return (s.dim ?? []).map((d) => Number(d.size ?? -1));
};

// ---------------------------------------------------------------- weights

const TF_DTYPES: Record<string, HostDType> = { DT_FLOAT: 'float32', DT_INT32: 'int32', DT_BOOL: 'bool', DT_HALF: 'float32' };

const numel = (shape: number[]): number => shape.reduce((a, d) => a * d, 1);

function storedBytes(w: WeightEntry): number {
  const q = w.quantization?.dtype;
  if (q) return q === 'uint8' ? 1 : q === 'uint16' || q === 'float16' ? 2 : -1;
  return w.dtype === 'float32' || w.dtype === 'int32' ? 4 : w.dtype === 'bool' ? 1 : -1;
}

function decodeWeight(w: WeightEntry, bytes: Uint8Array, file: string): HostTensor {
  const n = numel(w.shape);
  const dtype: HostDType = w.dtype === 'int32' ? 'int32' : w.dtype === 'bool' ? 'bool' : 'float32';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vals = new Float64Array(n);
  const q = w.quantization;
  if (q) {
    if (q.dtype === 'float16') {
      for (let i = 0; i < n; i++) vals[i] = f16ToF32(dv.getUint16(i * 2, true));
    } else {
      if (typeof q.scale !== 'number' || typeof q.min !== 'number') throw new ModelFormatError(file, `${q.dtype} quantization without numeric scale and min`, w.name);
      for (let i = 0; i < n; i++) vals[i] = (q.dtype === 'uint8' ? bytes[i] : dv.getUint16(i * 2, true)) * q.scale + q.min;
    }
  } else if (w.dtype === 'float32') {
    for (let i = 0; i < n; i++) vals[i] = dv.getFloat32(i * 4, true);
  } else if (w.dtype === 'int32') {
    for (let i = 0; i < n; i++) vals[i] = dv.getInt32(i * 4, true);
  } else {
    for (let i = 0; i < n; i++) vals[i] = bytes[i] ? 1 : 0;
  }
  const data = dtype === 'float32' ? Float32Array.from(vals) : dtype === 'int32' ? Int32Array.from(vals, Math.round) : Uint8Array.from(vals);
  return { dtype, shape: [...w.shape], data };
}

/**
 * Reads every weight of the manifest. Groups are independent: each group's paths are read
 * with `readWeights` and concatenated, and its weights lie back to back in that buffer.
 */
export function readTfjsWeights(m: ModelJson, readWeights: (path: string) => Uint8Array, file: string): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const g of m.weightsManifest) {
    const parts = g.paths.map((p) => {
      let b: Uint8Array;
      try {
        b = readWeights(p);
      } catch (e) {
        throw new ModelFormatError(file, `weight file '${p}' could not be read (${(e as Error).message})`);
      }
      if (!(b instanceof Uint8Array)) throw new ModelFormatError(file, `readWeights('${p}') did not return a Uint8Array`);
      return b;
    });
    const total = parts.reduce((a, b) => a + b.length, 0);
    const buf = new Uint8Array(total);
    let o = 0;
    for (const b of parts) {
      buf.set(b, o);
      o += b.length;
    }
    let off = 0;
    for (const w of g.weights) {
      if (!w || typeof w.name !== 'string' || !Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0)) {
        throw new ModelFormatError(file, `weightsManifest entry with a bad name or shape: ${JSON.stringify(w).slice(0, 160)}`);
      }
      if (!['float32', 'int32', 'bool'].includes(w.dtype)) {
        throw new ModelFormatError(file, `unsupported dtype '${String(w.dtype)}' (supported: float32, int32, bool)`, w.name);
      }
      const per = storedBytes(w);
      if (per < 0) {
        throw new ModelFormatError(file, `unsupported quantization dtype '${String(w.quantization?.dtype)}' (supported: uint8, uint16, float16)`, w.name);
      }
      const len = per * numel(w.shape);
      if (off + len > total) {
        throw new ModelFormatError(file, `needs ${len} bytes at offset ${off} of '${g.paths.join("' + '")}', but the weight data has only ${total} bytes (short or missing weight file)`, w.name);
      }
      out.set(w.name, decodeWeight(w, buf.subarray(off, off + len), file));
      off += len;
    }
  }
  return out;
}

/** Value of a Const node: from the weights, or inline in its `value` attribute. */
export function constValue(n: TfNode, weights: Map<string, HostTensor>, file: string): HostTensor {
  const w = weights.get(n.name);
  if (w) return w;
  const t = n.attr.value?.tensor;
  if (!t) throw new ModelFormatError(file, 'Const node has neither a weight in the manifest nor an inline value', n.name);
  const dtype = TF_DTYPES[t.dtype ?? attrTypeName(n) ?? ''];
  if (!dtype) throw new ModelFormatError(file, `Const of unsupported dtype '${t.dtype}'`, n.name);
  const shape = (t.tensorShape?.dim ?? []).map((d) => Number(d.size ?? 0));
  const count = numel(shape);
  let vals: number[];
  if (t.tensorContent) {
    const raw = base64Bytes(t.tensorContent);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const per = dtype === 'bool' ? 1 : 4;
    if (raw.length < count * per) throw new ModelFormatError(file, `inline tensor has ${raw.length} bytes, expected ${count * per}`, n.name);
    vals = Array.from({ length: count }, (_, i) => (dtype === 'float32' ? dv.getFloat32(i * 4, true) : dtype === 'int32' ? dv.getInt32(i * 4, true) : raw[i]));
  } else {
    const list: number[] = (t.floatVal ?? t.intVal ?? t.boolVal?.map(Number) ?? []).map(Number);
    vals = Array.from({ length: count }, (_, i) => list[Math.min(i, list.length - 1)] ?? 0);
  }
  return { dtype, shape, data: dtype === 'float32' ? Float32Array.from(vals) : dtype === 'int32' ? Int32Array.from(vals) : Uint8Array.from(vals) };
}

const attrTypeName = (n: TfNode): string | undefined => n.attr.dtype?.type;
