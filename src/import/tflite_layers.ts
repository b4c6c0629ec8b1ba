/**
 * TFLite operators without weights -> IR: pooling, MEAN, reshape, softmax, concat, pad,
 * resize, activations, and QUANTIZE / DEQUANTIZE (identities in a float runtime, except
 * that quantizing clamps to the representable range).
 */
import { Padding, TensorType } from './tflite_schema.js';
import { type Interval, type ActValue, hull, intersect } from './tflite_builder.js';
import { samePad } from './tflite_ops.js';
import type { OpContext } from './tflite_context.js';
import { elementCount } from './tflite_tensors.js';
import type { Act, TensorShape } from '../graph/ir.js';

const sameShape = (a: TensorShape, b: TensorShape): boolean => a.h === b.h && a.w === b.w && a.c === b.c;

/** whether output 0's quantized range can cut the values of x */
function needsClamp(ctx: OpContext, x: ActValue): boolean {
  const r = ctx.range(ctx.outTensor());
  return !!r && !!ctx.b.rangeClamp(ctx.b.knownOf(x.name), r);
}

/** output k is the input activation itself (no node) */
function alias(ctx: OpContext, x: ActValue, k = 0): void {
  const out = ctx.outTensor(k);
  const shape = ctx.shapeOf(out);
  if (!sameShape(shape, x.shape)) ctx.fail(`output shape [${out.shape.join(', ')}] differs from the input ${x.shape.h}x${x.shape.w}x${x.shape.c}`);
  ctx.bind(k, x.name, x.shape);
}

export function convertPool(ctx: OpContext, kind: 'avg' | 'max'): void {
  const x = ctx.act(0);
  const o = ctx.opts();
  const padding = o?.u8(0, 0) ?? 0;
  const strideW = o?.i32(1, 1) ?? 1;
  const strideH = o?.i32(2, 1) ?? 1;
  const fw = o?.i32(3, 1) ?? 1;
  const fh = o?.i32(4, 1) ?? 1;
  const fused = ctx.fused(o?.u8(5, 0) ?? 0);
  for (const [n, v] of [['stride_w', strideW], ['stride_h', strideH], ['filter_width', fw], ['filter_height', fh]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 4096) ctx.fail(`${n} ${v} is out of range`);
  }
  if (padding !== Padding.SAME && padding !== Padding.VALID) ctx.fail(`unknown padding ${padding}`);
  const { h, w } = x.shape;
  // a window over a 1x1 map is the identity (TF averages the valid taps only)
  if (h === 1 && w === 1 && !fused && !needsClamp(ctx, x)) return alias(ctx, x);
  const out = ctx.out();
  const base = ctx.nodeName();
  const global = out.shape.h === 1 && out.shape.w === 1 && fh >= h && fw >= w && (padding === Padding.VALID || (fh === h && fw === w) || kind === 'avg');
  if (global && kind === 'avg') {
    ctx.b.emit({ op: 'global_avg_pool', name: base, input: x.name, output: out.name });
  } else {
    const [pt, pb] = padding === Padding.SAME ? samePad(h, fh, strideH, 1) : [0, 0];
    const [pl, pr] = padding === Padding.SAME ? samePad(w, fw, strideW, 1) : [0, 0];
    ctx.b.emit({ op: 'pool2d', name: base, kind, input: x.name, output: out.name, kh: fh, kw: fw, strideH, strideW, pad: [pt, pl, pb, pr], countIncludePad: false });
  }
  ctx.b.setKnown(out.name, ctx.b.knownOf(x.name));
  ctx.b.finish(out.name, base, fused, ctx.range(out.t));
  ctx.bind(0, out.name, out.shape);
}

export function convertMean(ctx: OpContext): void {
  const x = ctx.act(0);
  const rank = ctx.inTensor(0).shape.length;
  const axes = [...new Set(ctx.ints(1).map((a) => (a < 0 ? a + rank : a)))].sort();
  if (rank !== 4 || axes.join() !== '1,2') ctx.fail(`MEAN over axes [${axes.join(', ')}] of a rank-${rank} tensor is not supported (only the spatial axes 1, 2 of NHWC)`);
  const out = ctx.out();
  if (out.shape.h * out.shape.w !== 1 || out.shape.c !== x.shape.c) ctx.fail(`output shape [${out.t.shape.join(', ')}] is not a 1x1x${x.shape.c} mean`);
  const base = ctx.nodeName();
  ctx.b.emit({ op: 'global_avg_pool', name: base, input: x.name, output: out.name });
  ctx.b.setKnown(out.name, ctx.b.knownOf(x.name));
  ctx.b.finish(out.name, base, null, ctx.range(out.t));
  ctx.bind(0, out.name, out.shape);
}

export function convertReshape(ctx: OpContext): void {
  const x = ctx.act(0);
  const t = ctx.outTensor();
  const shape = ctx.shapeOf(t);
  if (shape.h * shape.w * shape.c !== x.shape.h * x.shape.w * x.shape.c) ctx.fail(`cannot reshape ${x.shape.h}x${x.shape.w}x${x.shape.c} to [${t.shape.join(', ')}]`);
  if (sameShape(shape, x.shape) && !needsClamp(ctx, x)) return alias(ctx, x);
  const out = ctx.out();
  const base = ctx.nodeName();
  ctx.b.emit({ op: 'reshape', name: base, input: x.name, output: out.name, shape });
  ctx.b.setKnown(out.name, ctx.b.knownOf(x.name));
  ctx.b.finish(out.name, base, null, ctx.range(out.t));
  ctx.bind(0, out.name, out.shape);
}

export function convertSoftmax(ctx: OpContext): void {
  let x = ctx.act(0);
  const beta = ctx.opts()?.f32(0, 1) ?? 1;
  if (!Number.isFinite(beta) || beta <= 0) ctx.fail(`softmax beta ${beta} is not supported`);
  const out = ctx.out();
  const base = ctx.nodeName();
  if (beta !== 1) {
    const scaled = ctx.b.uniqueTensor(`${out.name}/scaled`);
    ctx.b.foldAffine(x.name, new Float32Array(x.shape.c).fill(beta), new Float32Array(x.shape.c), scaled, `${base}/beta`);
    ctx.b.addUses(scaled, 1);
    x = { ...x, name: scaled };
  }
  ctx.b.emit({ op: 'softmax', name: base, input: x.name, output: out.name });
  ctx.b.setKnown(out.name, [0, 1]);
  ctx.b.finish(out.name, base, null, ctx.range(out.t));
  ctx.bind(0, out.name, out.shape);
}

export function convertConcat(ctx: OpContext): void {
  if (ctx.op.inputs.length < 1) ctx.fail('concatenation without inputs');
  const xs = ctx.op.inputs.map((_, k) => ctx.act(k));
  const o = ctx.opts();
  const rank = ctx.outTensor().shape.length;
  const axisRaw = o?.i32(0, 0) ?? 0;
  const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
  if (axis !== rank - 1) ctx.fail(`concatenation along axis ${axisRaw} of a rank-${rank} tensor is not supported (only the channel axis)`);
  const out = ctx.out();
  const base = ctx.nodeName();
  ctx.b.emit({ op: 'concat', name: base, inputs: xs.map((x) => x.name), output: out.name });
  ctx.b.setKnown(out.name, xs.map((x) => ctx.b.knownOf(x.name)).reduce(hull));
  ctx.b.finish(out.name, base, ctx.fused(o?.u8(1, 0) ?? 0), ctx.range(out.t));
  ctx.bind(0, out.name, out.shape);
}

export function convertPad(ctx: OpContext): void {
  const x = ctx.act(0);
  const p = ctx.ints(1);
  const rank = ctx.inTensor(0).shape.length;
  if (rank !== 4 || p.length !== 8) ctx.fail(`paddings [${p.join(', ')}] are not [4, 2] for an NHWC tensor`);
  if (p[0] || p[1] || p[6] || p[7]) ctx.fail(`padding of the batch or channel axis ([${p.join(', ')}]) is not supported`);
  if (p.some((v) => v < 0 || v > 4096)) ctx.fail(`paddings [${p.join(', ')}] are out of range`);
  const out = ctx.out();
  const base = ctx.nodeName();
  // quantized PAD fills with the zero point, i.e. the real value 0
  ctx.b.emit({ op: 'pad', name: base, input: x.name, output: out.name, pad: [p[2], p[4], p[3], p[5]], value: 0 });
  ctx.b.setKnown(out.name, hull(ctx.b.knownOf(x.name), [0, 0]));
  ctx.b.finish(out.name, base, null, ctx.range(out.t));
  ctx.bind(0, out.name, out.shape);
}

export function convertResizeBilinear(ctx: OpContext): void {
  const x = ctx.act(0);
  const size = ctx.ints(1);
  if (size.length !== 2 || !size.every((v) => Number.isInteger(v) && v >= 1 && v <= 16384)) ctx.fail(`size [${size.join(', ')}] is not [height, width]`);
  const o = ctx.opts();
  const alignCorners = o?.bool(2, false) ?? false;
  const halfPixel = o?.bool(3, false) ?? false;
  const out = ctx.out();
  const base = ctx.nodeName();
  ctx.b.emit({
    op: 'resize', name: base, input: x.name, output: out.name, outH: size[0], outW: size[1], mode: 'bilinear',
    coord: alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric',
  });
  ctx.b.setKnown(out.name, ctx.b.knownOf(x.name));
  ctx.b.finish(out.name, base, null, ctx.range(out.t));
  ctx.bind(0, out.name, out.shape);
}

/** HARD_SWISH, LOGISTIC (activations) and RELU, RELU6, RELU_N1_TO_1 (clamps) */
export function convertActivation(ctx: OpContext, act: Act | Interval): void {
  const x = ctx.act(0);
  const out = ctx.out();
  const base = ctx.nodeName();
  if (typeof act === 'string') ctx.b.foldAct(x.name, act, out.name, base);
  else ctx.b.foldClamp(x.name, act, out.name, base);
  ctx.b.finish(out.name, base, null, ctx.range(out.t));
  ctx.bind(0, out.name, out.shape);
}

/** QUANTIZE / DEQUANTIZE: identity on activations (quantizing clamps to the range); constants pass through decoded. */
export function convertQuantize(ctx: OpContext): void {
  const v = ctx.value(0);
  const t = ctx.outTensor();
  if (v.kind === 'const') {
    if (elementCount(ctx.file, t) !== v.data.length) ctx.fail(`output shape [${t.shape.join(', ')}] differs from the input's ${v.data.length} values`);
    ctx.values[t.index] = { kind: 'const', data: v.data, dims: t.shape };
    return;
  }
  const floatTypes: number[] = [TensorType.FLOAT32, TensorType.FLOAT16];
  const range = floatTypes.includes(t.type) ? null : ctx.range(t);
  const clamp = range ? ctx.b.rangeClamp(ctx.b.knownOf(v.name), range) : null;
  if (!clamp) return alias(ctx, v);
  const out = ctx.out();
  if (!sameShape(out.shape, v.shape)) ctx.fail('output shape differs from the input');
  ctx.b.foldClamp(v.name, clamp, out.name, ctx.nodeName());
  ctx.b.setKnown(out.name, intersect(ctx.b.knownOf(v.name), clamp));
  ctx.bind(0, out.name, out.shape);
}
