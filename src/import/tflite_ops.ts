/**
 * TFLite operators -> IR. TFLite layouts: activations NHWC (batch 1), conv weights OHWI
 * (-> IR OIHW), depthwise weights [1, kh, kw, C] (-> [C][1][kh][kw]), transposed-conv
 * weights OHWI (-> IR [in][out][kh][kw]); SAME padding is TF's asymmetric SAME (the extra
 * row/column at the bottom/right).
 */
import { Padding, type TfTensor } from './tflite_schema.js';
import { type Interval, type ActValue, type ConstValue, ALL, mulRange } from './tflite_builder.js';
import type { OpContext } from './tflite_context.js';
import type { TensorShape, Node, BinaryOp } from '../graph/ir.js';

/** TF SAME padding: [before, after] for one spatial dimension */
export function samePad(inSize: number, k: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + (k - 1) * dilation + 1 - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function checkInt(ctx: OpContext, what: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) ctx.fail(`${what} ${v} is out of range [${lo}, ${hi}]`);
  return v;
}

/** weight scale per output channel (for int32 biases stored without parameters) */
function biasFallback(ctx: OpContext, x: TfTensor, w: TfTensor): ((ch: number) => number) | undefined {
  const xs = x.quant?.scale[0];
  const ws = w.quant?.scale;
  if (xs === undefined || !ws || ws.length === 0) return undefined;
  return (ch) => xs * (ws.length === 1 ? ws[0] : ws[ch % ws.length]);
}

function bias(ctx: OpContext, k: number, outC: number, x: TfTensor, w: TfTensor): Float32Array | undefined {
  if (!ctx.has(k)) return undefined;
  const bt = ctx.inTensor(k);
  const v = ctx.constant(k, biasFallback(ctx, x, w));
  if (v.data.length !== outC) ctx.fail(`bias '${bt.name}' has ${v.data.length} values, expected ${outC}`);
  return v.data;
}

/** OHWI -> OIHW (a 1x1 kernel has one layout) */
function ohwiToOihw(src: Float32Array, o: number, kh: number, kw: number, i: number): Float32Array {
  if (kh * kw === 1) return src.slice();
  const dst = new Float32Array(src.length);
  const khw = kh * kw;
  for (let oc = 0; oc < o; oc++) {
    for (let k = 0; k < khw; k++) {
      const s0 = (oc * khw + k) * i;
      const d0 = oc * i * khw + k;
      for (let c = 0; c < i; c++) dst[d0 + c * khw] = src[s0 + c];
    }
  }
  return dst;
}

export function convertConv(ctx: OpContext, depthwise: boolean): void {
  const x = ctx.act(0);
  const wt = ctx.inTensor(1);
  const w = ctx.constant(1);
  if (w.dims.length !== 4) ctx.fail(`weights '${wt.name}' must be 4-D, got [${w.dims.join(', ')}]`);
  const o = ctx.opts();
  const padding = o?.u8(0, 0) ?? 0;
  const strideW = checkInt(ctx, 'stride_w', o?.i32(1, 1) ?? 1, 1, 64);
  const strideH = checkInt(ctx, 'stride_h', o?.i32(2, 1) ?? 1, 1, 64);
  const fa = o?.u8(depthwise ? 4 : 3, 0) ?? 0;
  const dilW = checkInt(ctx, 'dilation_w', o?.i32(depthwise ? 5 : 4, 1) ?? 1, 1, 64);
  const dilH = checkInt(ctx, 'dilation_h', o?.i32(depthwise ? 6 : 5, 1) ?? 1, 1, 64);
  const inC = x.shape.c;
  let [outC, kh, kw, wi] = w.dims;
  let weight: Float32Array;
  let groups = 1;
  if (depthwise) {
    if (outC !== 1) ctx.fail(`depthwise weights '${wt.name}' must be [1, kh, kw, C], got [${w.dims.join(', ')}]`);
    outC = wi;
    if (outC !== inC) ctx.fail(`depth multiplier ${outC / inC} (${inC} -> ${outC} channels) is not supported (only 1)`);
    groups = inC;
    weight = new Float32Array(outC * kh * kw);
    for (let c = 0; c < outC; c++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) weight[(c * kh + ky) * kw + kx] = w.data[(ky * kw + kx) * outC + c];
  } else {
    if (wi !== inC) ctx.fail(`weights '${wt.name}' have ${wi} input channels, the input has ${inC} (grouped convolution is not supported)`);
    weight = ohwiToOihw(w.data, outC, kh, kw, wi);
  }
  if (kh < 1 || kw < 1) ctx.fail(`empty kernel ${kh}x${kw}`);
  const [pt, pb] = padding === Padding.SAME ? samePad(x.shape.h, kh, strideH, dilH) : [0, 0];
  const [pl, pr] = padding === Padding.SAME ? samePad(x.shape.w, kw, strideW, dilW) : [0, 0];
  if (padding !== Padding.SAME && padding !== Padding.VALID) ctx.fail(`unknown padding ${padding}`);
  const out = ctx.out();
  const b = bias(ctx, 2, outC, ctx.inTensor(0), wt);
  const base = ctx.nodeName();
  ctx.b.emit({
    op: 'conv2d', name: base, input: x.name, output: out.name, outC, kh, kw, strideH, strideW, dilationH: dilH, dilationW: dilW,
    pad: [pt, pl, pb, pr], groups, weight, ...(b ? { bias: b } : {}), epilogue: { act: 'none' },
  });
  ctx.b.setKnown(out.name, ALL);
  ctx.b.finish(out.name, base, ctx.fused(fa), ctx.range(out.t));
  ctx.bind(0, out.name, out.shape);
}

export function convertFullyConnected(ctx: OpContext): void {
  const x = ctx.act(0);
  const wt = ctx.inTensor(1);
  const w = ctx.constant(1);
  const o = ctx.opts();
  if ((o?.u8(1, 0) ?? 0) !== 0) ctx.fail('shuffled weights format is not supported');
  if (w.dims.length !== 2 || x.shape.h * x.shape.w !== 1 || w.dims[1] !== x.shape.c) {
    ctx.fail(`weights [${w.dims.join(', ')}] do not apply to a ${x.shape.h}x${x.shape.w}x${x.shape.c} input (need 1x1xC)`);
  }
  const outC = w.dims[0];
  const out = ctx.out();
  const b = bias(ctx, 2, outC, ctx.inTensor(0), wt);
  const base = ctx.nodeName();
  ctx.b.emit({
    op: 'conv2d', name: base, input: x.name, output: out.name, outC, kh: 1, kw: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
    pad: [0, 0, 0, 0], groups: 1, weight: Float32Array.from(w.data), ...(b ? { bias: b } : {}), epilogue: { act: 'none' },
  });
  ctx.b.setKnown(out.name, ALL);
  ctx.b.finish(out.name, base, ctx.fused(o?.u8(0, 0) ?? 0), ctx.range(out.t));
  ctx.bind(0, out.name, out.shape);
}

/** Transposed conv: builtin TRANSPOSE_CONV (inputs: output_shape, weights, x, bias) or MediaPipe's custom op. */
export function convertConvTranspose(ctx: OpContext, custom: boolean): void {
  let padding: number;
  let strideW: number;
  let strideH: number;
  let fa = 0;
  if (custom) {
    const co = ctx.op.customOptions;
    if (!co || co.length < 12) ctx.fail(`custom options must hold 3 int32 (padding, stride_w, stride_h), got ${co?.length ?? 0} bytes`);
    const dv = new DataView(co.buffer, co.byteOffset, co.byteLength);
    const p = dv.getInt32(0, true);
    if (p !== 1 && p !== 2) ctx.fail(`custom padding ${p} is neither 1 (SAME) nor 2 (VALID)`);
    padding = p === 1 ? Padding.SAME : Padding.VALID;
    strideW = dv.getInt32(4, true);
    strideH = dv.getInt32(8, true);
  } else {
    const o = ctx.opts();
    padding = o?.u8(0, 0) ?? 0;
    strideW = o?.i32(1, 1) ?? 1;
    strideH = o?.i32(2, 1) ?? 1;
    fa = o?.u8(3, 0) ?? 0;
  }
  checkInt(ctx, 'stride_w', strideW, 1, 64);
  checkInt(ctx, 'stride_h', strideH, 1, 64);
  const [xi, wi, bi] = custom ? [0, 1, 2] : [2, 1, 3];
  const x = ctx.act(xi);
  const wt = ctx.inTensor(wi);
  const w = ctx.constant(wi);
  if (w.dims.length !== 4 || w.dims[3] !== x.shape.c) ctx.fail(`weights [${w.dims.join(', ')}] must be [out, kh, kw, ${x.shape.c}]`);
  const [outC, kh, kw, inC] = w.dims;
  const weight = new Float32Array(inC * outC * kh * kw);
  for (let oc = 0; oc < outC; oc++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) for (let i = 0; i < inC; i++) {
    weight[((i * outC + oc) * kh + ky) * kw + kx] = w.data[((oc * kh + ky) * kw + kx) * inC + i];
  }
  const out = ctx.out();
  if (out.shape.c !== outC) ctx.fail(`output has ${out.shape.c} channels, the weights ${outC}`);
  const full = (n: number, k: number, s: number): number => (n - 1) * s + k;
  const pads = (n: number, k: number, s: number, o: number): [number, number, number] => {
    const total = padding === Padding.SAME ? Math.max(full(n, k, s) - o, 0) : 0;
    const before = Math.floor(total / 2);
    const extra = o - (full(n, k, s) - total);
    if (extra < 0 || extra >= s) ctx.fail(`output size ${o} does not follow from input ${n}, kernel ${k}, stride ${s}`);
    return [before, total - before, extra];
  };
  const [pt, pb, eh] = pads(x.shape.h, kh, strideH, out.shape.h);
  const [pl, pr, ew] = pads(x.shape.w, kw, strideW, out.shape.w);
  const b = bias(ctx, bi, outC, ctx.inTensor(xi), wt);
  const base = ctx.nodeName();
  ctx.b.emit({
    op: 'conv_transpose', name: base, input: x.name, output: out.name, outC, kh, kw, strideH, strideW, pad: [pt, pl, pb, pr], outputPadding: [eh, ew],
    weight, ...(b ? { bias: b } : {}), epilogue: { act: 'none' },
  });
  ctx.b.setKnown(out.name, ALL);
  ctx.b.finish(out.name, base, ctx.fused(fa), ctx.range(out.t));
  ctx.bind(0, out.name, out.shape);
}

/** Channel vector of a constant operand broadcast onto c channels, or null if it is spatial. */
function channelVector(v: ConstValue, c: number): Float32Array | null {
  const n = v.data.length;
  if (n === 1) return new Float32Array(c).fill(v.data[0]);
  const leadingOnes = v.dims.slice(0, -1).every((d) => d === 1);
  return n === c && leadingOnes ? Float32Array.from(v.data) : null;
}

export function convertBinary(ctx: OpContext, kind: 'add' | 'sub' | 'mul'): void {
  const va = ctx.value(0);
  const vb = ctx.value(1);
  const fused = ctx.fused(ctx.opts()?.u8(0, 0) ?? 0);
  const out = ctx.out();
  const base = ctx.nodeName();
  const b = ctx.b;
  if (va.kind === 'const' && vb.kind === 'const') ctx.fail('both operands are constants (constant folding is not supported)');
  if (va.kind === 'const' || vb.kind === 'const') {
    const [x, cv, constFirst] = va.kind === 'act' ? [va, vb as ConstValue, false] : [vb as ActValue, va, true];
    const vec = channelVector(cv, x.shape.c);
    if (vec) {
      const c = x.shape.c;
      const one = new Float32Array(c).fill(1);
      const zero = new Float32Array(c);
      const [sa, sb] =
        kind === 'add' ? [one, vec] : kind === 'mul' ? [vec, zero] : constFirst ? [one.map(() => -1), vec] : [one, vec.map((v) => -v)];
      b.foldAffine(x.name, sa, sb, out.name, base);
    } else {
      const cs = ctx.shapeOf(ctx.inTensor(constFirst ? 0 : 1), cv.dims);
      if (cs.h !== x.shape.h || cs.w !== x.shape.w || cs.c !== x.shape.c) ctx.fail(`constant operand [${cv.dims.join(', ')}] does not broadcast onto ${x.shape.h}x${x.shape.w}x${x.shape.c}`);
      const cname = b.uniqueTensor(`${out.name}/const`);
      b.emit({ op: 'constant', name: b.uniqueNode(`${base}/const`), output: cname, shape: cs, data: cv.data });
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of cv.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      b.setKnown(cname, [lo, hi]);
      emitPair(ctx, kind, constFirst ? cname : x.name, constFirst ? x.name : cname, constFirst ? [lo, hi] : b.knownOf(x.name), constFirst ? b.knownOf(x.name) : [lo, hi], x.shape, x.shape, out.name, base);
    }
  } else {
    emitPair(ctx, kind, va.name, vb.name, b.knownOf(va.name), b.knownOf(vb.name), va.shape, vb.shape, out.name, base);
  }
  b.finish(out.name, base, fused, ctx.range(out.t));
  ctx.bind(0, out.name, out.shape);
}

function emitPair(ctx: OpContext, kind: BinaryOp, a: string, bn: string, ka: Interval, kb: Interval, sa: TensorShape, sb: TensorShape, out: string, base: string): void {
  const same = sa.h === sb.h && sa.w === sb.w && sa.c === sb.c;
  const small = (s: TensorShape, big: TensorShape): boolean => s.h === 1 && s.w === 1 && (s.c === big.c || s.c === 1);
  let k: Interval = kind === 'add' ? [ka[0] + kb[0], ka[1] + kb[1]] : kind === 'sub' ? [ka[0] - kb[1], ka[1] - kb[0]] : mulRange(ka, kb);
  if (k.some(Number.isNaN)) k = ALL;
  let node: Node;
  if (same && kind === 'add') node = { op: 'add', name: base, inputs: [a, bn], output: out, epilogue: { act: 'none' } };
  else if (same || small(sb, sa)) {
    node = kind === 'mul' && !same && sb.c === sa.c
      ? { op: 'channel_scale', name: base, input: a, scale: bn, output: out }
      : { op: 'binary', name: base, kind, inputs: [a, bn], output: out, epilogue: { act: 'none' } };
  } else if (small(sa, sb) && kind !== 'sub') {
    node = kind === 'mul' && sa.c === sb.c
      ? { op: 'channel_scale', name: base, input: bn, scale: a, output: out }
      : { op: 'binary', name: base, kind, inputs: [bn, a], output: out, epilogue: { act: 'none' } };
  } else {
    ctx.fail(`operands ${sa.h}x${sa.w}x${sa.c} and ${sb.h}x${sb.w}x${sb.c} do not broadcast (supported: same shape, or a 1x1xC / scalar second operand)`);
  }
  ctx.b.emit(node);
  ctx.b.setKnown(out, k);
}
