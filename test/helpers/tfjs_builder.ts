/**
 * Builds small TF.js graph models (model.json + weight bytes) in tests, with weights stored
 * as float32, int32, or quantized (uint8 / uint16 affine, float16), exactly in the format the
 * TF.js converter writes, so that TF.js and our importer can both run them.
 */
import { Rng } from '../../src/graph/rng.js';

type Attr = Record<string, unknown>;
export type Quant = 'float32' | 'int32' | 'uint8' | 'uint16' | 'float16';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

export const attr = {
  ints: (v: number[]): Attr => ({ list: { i: v.map(String) } }),
  strs: (v: string[]): Attr => ({ list: { s: v.map(b64) } }),
  s: (v: string): Attr => ({ s: b64(v) }),
  i: (v: number): Attr => ({ i: String(v) }),
  f: (v: number): Attr => ({ f: v }),
  b: (v: boolean): Attr => ({ b: v }),
  type: (v: string): Attr => ({ type: v }),
  shape: (dims: number[]): Attr => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } }),
};

/** IEEE half from a float (round to nearest; enough for test data) */
export function f32ToF16(v: number): number {
  const u = new Uint32Array(new Float32Array([v]).buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 112;
  const man = u & 0x7fffff;
  if (exp <= 0) return exp < -10 ? sign : sign | ((((man | 0x800000) >> (13 - exp)) + 1) >> 1);
  if (exp >= 31) return sign | 0x7c00;
  return (sign | (exp << 10) | (man >> 13)) + ((man >> 12) & 1);
}

export class TfjsGraphBuilder {
  private readonly nodes: { name: string; op: string; input: string[]; attr: Attr }[] = [];
  private readonly entries: object[] = [];
  private readonly chunks: Uint8Array[] = [];
  constructor(private readonly rng = new Rng(7)) {}

  placeholder(name: string, shape: number[]): string {
    this.nodes.push({ name, op: 'Placeholder', input: [], attr: { dtype: attr.type('DT_FLOAT'), shape: attr.shape(shape) } });
    return name;
  }

  /** a Const node whose value lives in the weights file */
  const(name: string, shape: number[], values: ArrayLike<number>, store: Quant = 'float32'): string {
    const n = shape.reduce((a, d) => a * d, 1);
    if (values.length !== n) throw new Error(`${name}: ${values.length} values for [${shape}]`);
    const dtype = store === 'int32' ? 'int32' : 'float32';
    this.nodes.push({ name, op: 'Const', input: [], attr: { dtype: attr.type(dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT'), value: {} } });
    let bytes: Uint8Array;
    let quantization: object | undefined;
    if (store === 'float32' || store === 'int32') {
      bytes = new Uint8Array((store === 'int32' ? Int32Array.from(values) : Float32Array.from(values)).buffer);
    } else if (store === 'float16') {
      bytes = new Uint8Array(Uint16Array.from(values, f32ToF16).buffer);
      quantization = { dtype: 'float16', original_dtype: 'float32' };
    } else {
      const levels = store === 'uint8' ? 255 : 65535;
      const lo = Math.min(...Array.from(values));
      const hi = Math.max(...Array.from(values));
      const scale = hi > lo ? (hi - lo) / levels : 1;
      const q = Array.from(values, (v) => Math.round((v - lo) / scale));
      bytes = store === 'uint8' ? Uint8Array.from(q) : new Uint8Array(Uint16Array.from(q).buffer);
      quantization = { dtype: store, min: lo, scale, original_dtype: 'float32' };
    }
    this.entries.push({ name, shape, dtype, ...(quantization ? { quantization } : {}) });
    this.chunks.push(bytes);
    return name;
  }

  /** random constant in [lo, hi) */
  random(name: string, shape: number[], store: Quant = 'float32', lo = -0.5, hi = 0.5): string {
    const n = shape.reduce((a, d) => a * d, 1);
    return this.const(name, shape, Array.from({ length: n }, () => lo + (hi - lo) * this.rng.next()), store);
  }

  op(name: string, op: string, input: string[], a: Attr = {}): string {
    this.nodes.push({ name, op, input, attr: a });
    return name;
  }

  build(weightsFile = 'weights.bin'): { json: object; text: string; bin: Uint8Array } {
    const total = this.chunks.reduce((a, c) => a + c.length, 0);
    const bin = new Uint8Array(total);
    let o = 0;
    for (const c of this.chunks) {
      bin.set(c, o);
      o += c.length;
    }
    const json = {
      format: 'graph-model',
      generatedBy: 'test',
      convertedBy: 'test',
      modelTopology: { node: this.nodes, library: {}, versions: { producer: 1 } },
      weightsManifest: [{ paths: [weightsFile], weights: this.entries }],
    };
    return { json, text: JSON.stringify(json), bin };
  }
}
