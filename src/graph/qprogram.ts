/**
 * Integer programs: a fully quantized model (TFLite uint8 / int8) as a list of integer ops, for
 * `LoadOptions.quantized: 'int8'`. The importer (src/import/tflite_quant.ts) builds one; the wasm
 * backend runs it with the int8 C kernels (src/backends/wasm/qkernels.c, qexecutor.ts) and the
 * cpu backend with `runQuantReference` below, which is also the oracle those kernels are tested
 * against (bit for bit).
 *
 * Conventions:
 * - every activation is int8 NHWC (a uint8 tensor becomes int8 with value - 128 and zero point
 *   - 128: the same real numbers); real = scale * (q - zp);
 * - conv weights are stored with their zero point subtracted, as int16 (range [-255, 255]);
 *   biases are TFLite's int32 biases (scale = input scale * weight scale);
 * - requantization is in float32 (as XNNPACK's "fp32" requantization):
 *   q = clamp(roundHalfEven(f32(f32(acc) * mult) + zp), lo, hi), mult = f32(in * w / out).
 *   TFLite's reference kernels use a fixed-point multiplier instead; the two differ by at most
 *   one step on a rounding tie (test/unit/wasm_int8.test.ts measures it per layer);
 * - unary ops on one tensor (HARD_SWISH, ADD / SUB / MUL by a constant, requantize) are
 *   256-entry tables; a HARD_SWISH right after a conv is fused into the conv's epilogue with the
 *   formula below (`hswishQ`), which is also how its tables are computed.
 */

export interface QTensor {
  id: number;
  name: string;
  h: number;
  w: number;
  c: number;
  scale: number;
  /** zero point in the int8 domain */
  zp: number;
}

/** A HARD_SWISH fused into a conv epilogue: conv output grid (s1, z1) -> hswish output grid (s2, z2). */
export interface QHswish {
  s1: number;
  z1: number;
  s2: number;
  z2: number;
}

export interface QConv {
  kind: 'conv';
  name: string;
  input: number;
  output: number;
  depthwise: boolean;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  dilH: number;
  dilW: number;
  padT: number;
  padL: number;
  cin: number;
  cout: number;
  /** dense: [kh][kw][cin][cout]; depthwise: [kh][kw][c]; zero point subtracted */
  weights: Int16Array;
  bias: Int32Array;
  /** per output channel: f32(in_scale * w_scale / out_scale) (out = the conv's own output grid) */
  mult: Float32Array;
  /** the conv's own output grid: zero point and clamp (fused activation within [-128, 127]) */
  zp: number;
  lo: number;
  hi: number;
  hswish?: QHswish;
}

export interface QLut {
  kind: 'lut';
  name: string;
  input: number;
  output: number;
  /** out = table[q + 128] */
  table: Int8Array;
}

export interface QAdd {
  kind: 'add';
  name: string;
  a: number;
  b: number;
  output: number;
  /** f32(sa / so), f32(sb / so) */
  ma: number;
  mb: number;
  lo: number;
  hi: number;
}

/** x [h][w][c] * gate [1][1][c] (squeeze-and-excite) */
export interface QMulChannel {
  kind: 'mul_channel';
  name: string;
  input: number;
  gate: number;
  output: number;
  /** f32(sx * sg / so) */
  m: number;
  lo: number;
  hi: number;
}

/** global average (MEAN over H, W; AVERAGE_POOL_2D whose window is the whole input) */
export interface QMean {
  kind: 'mean';
  name: string;
  input: number;
  output: number;
  /** f32(si / (N * so)) */
  m: number;
}

/** float softmax of the dequantized input, quantized to the output grid (tiny: a classifier's outputs) */
export interface QSoftmax {
  kind: 'softmax';
  name: string;
  input: number;
  output: number;
  beta: number;
}

export type QOp = QConv | QLut | QAdd | QMulChannel | QMean | QSoftmax;

export interface QProgram {
  name: string;
  tensors: QTensor[];
  /** the float input is quantized on this tensor's grid, then mapped by `inputLut` (if any) into tensor `entry`, which the ops read */
  input: number;
  inputLut?: Int8Array;
  entry: number;
  ops: QOp[];
  /** outputs are dequantized to float */
  outputs: number[];
  /** the TFLite type of the file's activations ('UINT8' | 'INT8') */
  activations: string;
}

/**
 * A conv's int32 accumulator at output (oy, ox, oc): bias + sum (x - zx) * w over the taps in
 * bounds (TFLite's: padding reads the zero point). xi: the input tensor, x its int8 values.
 */
export function convAccumulator(xi: QTensor, op: QConv, x: Int8Array, oy: number, ox: number, oc: number): number {
  const { kh, kw, cin, cout } = op;
  let acc = op.bias[oc];
  for (let ky = 0; ky < kh; ky++) {
    const iy = oy * op.strideH - op.padT + ky * op.dilH;
    if (iy < 0 || iy >= xi.h) continue;
    for (let kx = 0; kx < kw; kx++) {
      const ix = ox * op.strideW - op.padL + kx * op.dilW;
      if (ix < 0 || ix >= xi.w) continue;
      const px = (iy * xi.w + ix) * xi.c;
      if (op.depthwise) acc += (x[px + oc] - xi.zp) * op.weights[(ky * kw + kx) * cout + oc];
      else {
        const wb = (ky * kw + kx) * cin * cout + oc;
        for (let ic = 0; ic < cin; ic++) acc += (x[px + ic] - xi.zp) * op.weights[wb + ic * cout];
      }
    }
  }
  return acc;
}

/** JS Math.round is half-up; the kernels round half to even (f32x4.nearest) */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

const f = Math.fround;
const clampQ = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/** Quantizes a float to the int8 grid (scale, zp), as the kernels do: nearest(f32(x * f32(1/scale)) + zp). */
export function quantizeQ(x: number, invScale: number, zp: number): number {
  return clampQ(roundHalfEven(f(f(f(x) * invScale) + zp)), -128, 127);
}

/**
 * The fused HARD_SWISH of a conv epilogue: conv output q1 (already clamped) -> hswish output q2,
 * in f32 steps (qkernels.c qhswish): u = q1 - z1, t = clamp(u * s1 + 3, 0, 6),
 * q2 = nearest(u * t * k + z2) with k = f32(s1 / (6 * s2)); the same real function as
 * x * relu6(x + 3) / 6 on x = s1 * u, with the scales folded.
 */
export function hswishQ(q1: number, h: QHswish): number {
  const u = q1 - h.z1;
  const t = Math.min(Math.max(f(f(u * f(h.s1)) + 3), 0), 6);
  return clampQ(roundHalfEven(f(f(f(u * t) * hswishK(h)) + h.z2)), -128, 127);
}

/** the folded hswish constant s1 / (6 s2), as f32 */
export const hswishK = (h: QHswish): number => f(h.s1 / (6 * h.s2));

/** conv epilogue: int32 accumulator -> int8 */
export function requantQ(acc: number, mult: number, zp: number, lo: number, hi: number, hs?: QHswish): number {
  const q = roundHalfEven(clampQ(f(f(f(acc) * mult) + zp), lo, hi));
  return hs ? hswishQ(q, hs) : q;
}

/**
 * The plain integer reference: runs the program on a float input (unpadded NHWC) and returns
 * every tensor (int8, unpadded) plus the dequantized outputs. The cpu backend's int8 path and
 * the oracle of the C kernels.
 */
export function runQuantReference(p: QProgram, input: Float32Array): { tensors: (Int8Array | undefined)[]; outputs: Float32Array[] } {
  const T = p.tensors;
  const vals: (Int8Array | undefined)[] = new Array(T.length);
  const it = T[p.input];
  if (input.length !== it.h * it.w * it.c) throw new RangeError(`quantized program '${p.name}': input has ${input.length} values, expected ${it.h * it.w * it.c}`);
  const x0 = new Int8Array(input.length);
  const inv = f(1 / it.scale);
  for (let i = 0; i < input.length; i++) {
    const q = quantizeQ(input[i], inv, it.zp);
    x0[i] = p.inputLut ? p.inputLut[q + 128] : q;
  }
  vals[p.entry] = x0;
  for (const op of p.ops) vals[op.output] = runOp(p, op, vals);
  const outputs = p.outputs.map((o) => {
    const t = T[o];
    const q = vals[o]!;
    const out = new Float32Array(q.length);
    for (let i = 0; i < q.length; i++) out[i] = (q[i] - t.zp) * t.scale;
    return out;
  });
  return { tensors: vals, outputs };
}

function runOp(p: QProgram, op: QOp, vals: (Int8Array | undefined)[]): Int8Array {
  const T = p.tensors;
  const get = (i: number): Int8Array => {
    const v = vals[i];
    if (!v) throw new Error(`quantized program '${p.name}': op ${op.name} reads tensor ${T[i].name} before it is computed`);
    return v;
  };
  const o = T[op.output];
  const out = new Int8Array(o.h * o.w * o.c);
  switch (op.kind) {
    case 'conv': {
      const x = get(op.input);
      for (let oy = 0; oy < o.h; oy++)
        for (let ox = 0; ox < o.w; ox++)
          for (let oc = 0; oc < op.cout; oc++) out[(oy * o.w + ox) * op.cout + oc] = requantQ(convAccumulator(T[op.input], op, x, oy, ox, oc), op.mult[oc], op.zp, op.lo, op.hi, op.hswish);
      return out;
    }
    case 'lut': {
      const x = get(op.input);
      for (let i = 0; i < out.length; i++) out[i] = op.table[x[i] + 128];
      return out;
    }
    case 'add': {
      const a = get(op.a);
      const b = get(op.b);
      const [za, zb] = [T[op.a].zp, T[op.b].zp];
      for (let i = 0; i < out.length; i++) {
        const v = f(f(f((a[i] - za) * op.ma) + f((b[i] - zb) * op.mb)) + o.zp);
        out[i] = roundHalfEven(clampQ(v, op.lo, op.hi));
      }
      return out;
    }
    case 'mul_channel': {
      const x = get(op.input);
      const g = get(op.gate);
      const [zx, zg] = [T[op.input].zp, T[op.gate].zp];
      const C = o.c;
      const m = new Float32Array(C);
      for (let c = 0; c < C; c++) m[c] = f((g[c] - zg) * op.m);
      for (let i = 0; i < out.length; i++) out[i] = roundHalfEven(clampQ(f(f((x[i] - zx) * m[i % C]) + o.zp), op.lo, op.hi));
      return out;
    }
    case 'mean': {
      const x = get(op.input);
      const xi = T[op.input];
      const N = xi.h * xi.w;
      for (let c = 0; c < o.c; c++) {
        let s = 0;
        for (let i = 0; i < N; i++) s += x[i * xi.c + c];
        out[c] = roundHalfEven(clampQ(f(f(f(s - N * xi.zp) * op.m) + o.zp), -128, 127));
      }
      return out;
    }
    case 'softmax':
      return softmaxQ(get(op.input), T[op.input], o, op.beta);
  }
}

/**
 * Softmax over the last axis of an int8 tensor, quantized to `o`: e^((x - max) * scale * beta)
 * takes only 256 values (x - max in [-255, 0]), so one table per op (as TFLite's kernels do),
 * summed in float64; each probability is quantized like every other value.
 */
export function softmaxQ(x: Int8Array, xi: QTensor, o: QTensor, beta: number, out = new Int8Array(x.length), table = softmaxTable(xi.scale, beta)): Int8Array {
  const C = xi.c;
  const inv = f(1 / o.scale);
  for (let r = 0; r < x.length; r += C) {
    let mx = -128;
    for (let c = 0; c < C; c++) if (x[r + c] > mx) mx = x[r + c];
    let sum = 0;
    for (let c = 0; c < C; c++) sum += table[mx - x[r + c]];
    const k = 1 / sum;
    for (let c = 0; c < C; c++) out[r + c] = quantizeQ(table[mx - x[r + c]] * k, inv, o.zp);
  }
  return out;
}

/** e^(-d * scale * beta) for d = 0..255 */
export function softmaxTable(scale: number, beta: number): Float64Array {
  return Float64Array.from({ length: 256 }, (_, d) => Math.exp(-d * scale * beta));
}
