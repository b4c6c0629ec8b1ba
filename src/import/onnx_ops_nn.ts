/**
 * ONNX -> IR converters for the layers with weights or windows: Conv, ConvTranspose,
 * BatchNormalization, pooling, MatMul/Gemm (as 1x1 convs on a 1x1 map), Pad.
 * Activations are NCHW [1,C,H,W] in ONNX and NHWC in the IR; conv weights are OIHW in both,
 * ConvTranspose weights [inC][outC][kh][kw] in both, so weights are copied as they are.
 */
import { convOutSize } from '../graph/shapes.js';
import type { ImportContext, NodeInfo, RtVal } from './onnx_ctx.js';
import { MAX_DIM } from './onnx_ctx.js';
import { expandTo } from './onnx_fold.js';

export type Converter = (ctx: ImportContext, n: NodeInfo) => void;

const f32 = (a: ArrayLike<number>): Float32Array => new Float32Array(a);

/** A rank-4 [1,C,H,W] computed input. */
function image(ctx: ImportContext, n: NodeInfo, i = 0): RtVal & { c: number; h: number; w: number } {
  const x = ctx.rt(n, i);
  if (x.dims.length !== 4) ctx.fail(n, `input '${n.inputs[i]}' has shape [${x.dims.join(', ')}]; only 2-D ops on [1,C,H,W] are supported`, n.inputs[i]);
  const s = ctx.irShape(n, x.dims);
  return { ...x, ...s };
}

function pair(ctx: ImportContext, n: NodeInfo, name: string, def: number, min: number): [number, number] {
  const v = ctx.guard(n, () => n.attrs.ints(name, [def, def]))!;
  if (v.length !== 2 || v.some((x) => !Number.isInteger(x) || x < min || x > MAX_DIM)) ctx.fail(n, `attribute ${name} [${v.join(', ')}] must be two integers >= ${min}`);
  return [v[0], v[1]];
}

/** [top, left, bottom, right] from pads / auto_pad for a window of effective size k. */
function windowPads(ctx: ImportContext, n: NodeInfo, inHW: [number, number], k: [number, number], s: [number, number]): [number, number, number, number] {
  const mode = ctx.guard(n, () => n.attrs.string('auto_pad', 'NOTSET'));
  if (mode === 'NOTSET') {
    const p = ctx.guard(n, () => n.attrs.ints('pads', [0, 0, 0, 0]))!;
    if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > MAX_DIM)) ctx.fail(n, `pads [${p.join(', ')}] must be 4 non-negative integers`);
    return [p[0], p[1], p[2], p[3]];
  }
  if (mode === 'VALID') return [0, 0, 0, 0];
  if (mode !== 'SAME_UPPER' && mode !== 'SAME_LOWER') ctx.fail(n, `auto_pad '${mode}' is not an ONNX mode`);
  const r: number[] = [];
  for (const a of [0, 1]) {
    const out = Math.ceil(inHW[a] / s[a]);
    const total = Math.max((out - 1) * s[a] + k[a] - inHW[a], 0);
    const small = Math.floor(total / 2);
    r.push(mode === 'SAME_UPPER' ? small : total - small, mode === 'SAME_UPPER' ? total - small : small);
  }
  return [r[0], r[2], r[1], r[3]];
}

function outSize(ctx: ImportContext, n: NodeInfo, h: number, w: number): void {
  if (!(h >= 1 && w >= 1 && h <= MAX_DIM && w <= MAX_DIM)) ctx.fail(n, `output size ${h}x${w} is empty or implausible for this input`);
}

/** the weight's kernel and output-channel dims must be at least 1 (shared by Conv and ConvTranspose) */
function checkKernel(ctx: ImportContext, n: NodeInfo, dims: readonly number[], kh: number, kw: number, outC: number): void {
  if (!(kh >= 1 && kw >= 1 && outC >= 1)) ctx.fail(n, `weight [${dims.join(', ')}]: kernel_shape ${kh}x${kw} and ${outC} output channels must be at least 1`, n.inputs[1]);
}

const conv: Converter = (ctx: ImportContext, n: NodeInfo) => {
  const x = image(ctx, n);
  const wt = ctx.cst(n, 1, 'weight');
  if (wt.dims.length !== 4) ctx.fail(n, `weight has shape [${wt.dims.join(', ')}]; expected [outC, inC/group, kh, kw]`, n.inputs[1]);
  const [outC, inPer, kh, kw] = wt.dims;
  checkKernel(ctx, n, wt.dims, kh, kw, outC);
  const group = ctx.guard(n, () => n.attrs.int('group', 1));
  if (!(group >= 1) || inPer * group !== x.c) ctx.fail(n, `weight [${wt.dims.join(', ')}] with group=${group} does not fit ${x.c} input channels`, n.inputs[1]);
  if (group !== 1 && !(group === x.c && outC === x.c)) ctx.fail(n, `group=${group} (${x.c} -> ${outC} channels) is neither dense nor depthwise (multiplier 1); the IR has no other grouped convolution`);
  const ks = ctx.guard(n, () => n.attrs.ints('kernel_shape', [kh, kw]))!;
  if (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw) ctx.fail(n, `kernel_shape [${ks.join(', ')}] does not match the weight [${wt.dims.join(', ')}]`);
  const s = pair(ctx, n, 'strides', 1, 1);
  const d = pair(ctx, n, 'dilations', 1, 1);
  const pad = windowPads(ctx, n, [x.h, x.w], [(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1], s);
  const b = ctx.optCst(n, 2, 'bias');
  if (b && b.data.length !== outC) ctx.fail(n, `bias has ${b.data.length} values for ${outC} output channels`, n.inputs[2]);
  const oh = convOutSize(x.h, kh, s[0], d[0], pad[0], pad[2]);
  const ow = convOutSize(x.w, kw, s[1], d[1], pad[1], pad[3]);
  outSize(ctx, n, oh, ow);
  const y = ctx.emit({
    op: 'conv2d', name: ctx.nodeName(n), input: x.name, output: ctx.tensor(n.outputs[0]), outC, kh, kw, strideH: s[0], strideW: s[1],
    dilationH: d[0], dilationW: d[1], pad, groups: group, weight: f32(wt.data), ...(b ? { bias: f32(b.data) } : {}), epilogue: { act: 'none' },
  });
  ctx.setRt(n.outputs[0], y.output, [1, outC, oh, ow]);
};

const convTranspose: Converter = (ctx: ImportContext, n: NodeInfo) => {
  const x = image(ctx, n);
  const wt = ctx.cst(n, 1, 'weight');
  if (wt.dims.length !== 4 || wt.dims[0] !== x.c) ctx.fail(n, `weight has shape [${wt.dims.join(', ')}]; expected [${x.c}, outC, kh, kw]`, n.inputs[1]);
  const [, outC, kh, kw] = wt.dims;
  checkKernel(ctx, n, wt.dims, kh, kw, outC);
  if (ctx.guard(n, () => n.attrs.int('group', 1)) !== 1) ctx.fail(n, 'grouped ConvTranspose is unsupported (the IR conv_transpose is dense)');
  const d = pair(ctx, n, 'dilations', 1, 1);
  if (d[0] !== 1 || d[1] !== 1) ctx.fail(n, `dilations [${d.join(', ')}] are unsupported (the IR conv_transpose has none)`);
  const ks = ctx.guard(n, () => n.attrs.ints('kernel_shape', [kh, kw]))!;
  if (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw) ctx.fail(n, `kernel_shape [${ks.join(', ')}] does not match the weight [${wt.dims.join(', ')}]`);
  const s = pair(ctx, n, 'strides', 1, 1);
  const op = pair(ctx, n, 'output_padding', 0, 0);
  const mode = ctx.guard(n, () => n.attrs.string('auto_pad', 'NOTSET'));
  const outShape = ctx.guard(n, () => n.attrs.ints('output_shape'));
  let pad: [number, number, number, number];
  if (outShape || mode === 'SAME_UPPER' || mode === 'SAME_LOWER') {
    const want = outShape ? outShape.slice(-2) : [x.h * s[0], x.w * s[1]];
    const r: number[] = [];
    for (const a of [0, 1]) {
      const total = s[a] * ((a ? x.w : x.h) - 1) + op[a] + (a ? kw : kh) - want[a];
      if (!(total >= 0)) ctx.fail(n, `output_shape [${want.join(', ')}] is larger than the full transposed output`);
      const half = Math.floor(total / 2);
      r.push(mode === 'SAME_UPPER' ? half : total - half, mode === 'SAME_UPPER' ? total - half : half);
    }
    pad = [r[0], r[2], r[1], r[3]];
  } else if (mode === 'VALID') pad = [0, 0, 0, 0];
  else pad = windowPads(ctx, n, [x.h, x.w], [kh, kw], s);
  const b = ctx.optCst(n, 2, 'bias');
  if (b && b.data.length !== outC) ctx.fail(n, `bias has ${b.data.length} values for ${outC} output channels`, n.inputs[2]);
  const oh = (x.h - 1) * s[0] + kh - pad[0] - pad[2] + op[0];
  const ow = (x.w - 1) * s[1] + kw - pad[1] - pad[3] + op[1];
  outSize(ctx, n, oh, ow);
  const y = ctx.emit({
    op: 'conv_transpose', name: ctx.nodeName(n), input: x.name, output: ctx.tensor(n.outputs[0]), outC, kh, kw, strideH: s[0], strideW: s[1],
    pad, outputPadding: op, weight: f32(wt.data), ...(b ? { bias: f32(b.data) } : {}), epilogue: { act: 'none' },
  });
  ctx.setRt(n.outputs[0], y.output, [1, outC, oh, ow]);
};

const batchNorm: Converter = (ctx: ImportContext, n: NodeInfo) => {
  const x = ctx.rt(n, 0);
  const c = ctx.irShape(n, x.dims).c;
  const [gamma, beta, mean, variance] = ['scale', 'B', 'mean', 'var'].map((what, i) => {
    const v = ctx.cst(n, i + 1, what);
    if (v.data.length !== c) ctx.fail(n, `${what} has ${v.data.length} values for ${c} channels`, n.inputs[i + 1]);
    return v.data;
  });
  for (const o of n.outputs.slice(1)) if (o && ctx.uses.get(o)) ctx.fail(n, `training-mode output '${o}' is used (unsupported)`, o);
  const eps = ctx.guard(n, () => n.attrs.float('epsilon', 1e-5));
  // the BN pass folds into conv2d; a ConvTranspose producer (no pass for it) is folded here
  if (ctx.producer(x.name)?.op === 'conv_transpose') {
    const k = gamma.map((g, i) => g / Math.sqrt(variance[i] + eps));
    if (ctx.affine(n, x, k, k.map((ki, i) => beta[i] - mean[i] * ki), n.outputs[0], true)) return;
  }
  const y = ctx.emit({ op: 'batch_norm', name: ctx.nodeName(n), input: x.name, output: ctx.tensor(n.outputs[0]), gamma: f32(gamma), beta: f32(beta), mean: f32(mean), variance: f32(variance), eps });
  ctx.setRt(n.outputs[0], y.output, x.dims);
};

function pool(kind: 'max' | 'avg'): Converter {
  return (ctx: ImportContext, n: NodeInfo) => {
    const x = image(ctx, n);
    const k = pair(ctx, n, 'kernel_shape', 0, 1);
    const s = pair(ctx, n, 'strides', 1, 1);
    const d = pair(ctx, n, 'dilations', 1, 1);
    if (d[0] !== 1 || d[1] !== 1) ctx.fail(n, `dilations [${d.join(', ')}] are unsupported (the IR pool2d has none)`);
    if (n.outputs[1] && ctx.uses.get(n.outputs[1])) ctx.fail(n, 'the Indices output is used (unsupported)', n.outputs[1]);
    const pad = windowPads(ctx, n, [x.h, x.w], k, s);
    const countIncludePad = kind === 'avg' && ctx.guard(n, () => n.attrs.int('count_include_pad', 0)) === 1;
    if (ctx.guard(n, () => n.attrs.int('ceil_mode', 0)) === 1) {
      // ceil mode = extra bottom/right padding, dropping a last window that starts in the padding
      for (const a of [0, 1]) {
        const span = (a ? x.w : x.h) + pad[a] + pad[a + 2] - k[a];
        let out = Math.ceil(span / s[a]) + 1;
        if ((out - 1) * s[a] >= (a ? x.w : x.h) + pad[a]) out--;
        const extra = Math.max((out - 1) * s[a] - span, 0);
        if (extra > 0 && countIncludePad) ctx.fail(n, 'ceil_mode with count_include_pad is unsupported');
        pad[a + 2] += extra;
      }
    }
    const oh = convOutSize(x.h, k[0], s[0], 1, pad[0], pad[2]);
    const ow = convOutSize(x.w, k[1], s[1], 1, pad[1], pad[3]);
    outSize(ctx, n, oh, ow);
    const y = ctx.emit({ op: 'pool2d', kind, name: ctx.nodeName(n), input: x.name, output: ctx.tensor(n.outputs[0]), kh: k[0], kw: k[1], strideH: s[0], strideW: s[1], pad, countIncludePad });
    ctx.setRt(n.outputs[0], y.output, [1, x.c, oh, ow]);
  };
}

const globalAvgPool: Converter = (ctx: ImportContext, n: NodeInfo) => {
  const x = image(ctx, n);
  const y = ctx.emit({ op: 'global_avg_pool', name: ctx.nodeName(n), input: x.name, output: ctx.tensor(n.outputs[0]) });
  ctx.setRt(n.outputs[0], y.output, [1, x.c, 1, 1]);
};

const globalMaxPool: Converter = (ctx: ImportContext, n: NodeInfo) => {
  const x = image(ctx, n);
  const y = ctx.emit({ op: 'pool2d', kind: 'max', name: ctx.nodeName(n), input: x.name, output: ctx.tensor(n.outputs[0]), kh: x.h, kw: x.w, strideH: 1, strideW: 1, pad: [0, 0, 0, 0], countIncludePad: false });
  ctx.setRt(n.outputs[0], y.output, [1, x.c, 1, 1]);
};

/** A fully connected layer on a 1x1xK vector: a 1x1 conv with weight [N][K]. */
function fc(ctx: ImportContext, n: NodeInfo, x: RtVal, weight: Float32Array, bias: Float32Array | undefined, outN: number, outDims: number[]): void {
  const y = ctx.emit({
    op: 'conv2d', name: ctx.nodeName(n), input: x.name, output: ctx.tensor(n.outputs[0]), outC: outN, kh: 1, kw: 1, strideH: 1, strideW: 1,
    dilationH: 1, dilationW: 1, pad: [0, 0, 0, 0], groups: 1, weight, ...(bias ? { bias } : {}), epilogue: { act: 'none' },
  });
  ctx.setRt(n.outputs[0], y.output, outDims);
}

function vectorInput(ctx: ImportContext, n: NodeInfo): { x: RtVal; k: number } {
  const x = ctx.rt(n, 0);
  const s = ctx.irShape(n, x.dims);
  const k = x.dims[x.dims.length - 1] ?? 1;
  if (s.h * s.w !== 1 || s.c !== k) ctx.fail(n, `input '${n.inputs[0]}' [${x.dims.join(', ')}] is not a [1,K] vector (flatten a 1x1 map first)`, n.inputs[0]);
  return { x, k };
}

const matMul: Converter = (ctx: ImportContext, n: NodeInfo) => {
  const { x, k } = vectorInput(ctx, n);
  const b = ctx.cst(n, 1, 'B');
  const r = b.dims.length;
  if (r < 2 || b.dims.slice(0, -2).some((d) => d !== 1) || b.dims[r - 2] !== k) ctx.fail(n, `B [${b.dims.join(', ')}] does not multiply a vector of ${k}`, n.inputs[1]);
  const outN = b.dims[r - 1];
  const w = new Float32Array(outN * k);
  for (let o = 0; o < outN; o++) for (let i = 0; i < k; i++) w[o * k + i] = b.data[i * outN + o];
  fc(ctx, n, x, w, undefined, outN, x.dims.length >= 2 ? [...x.dims.slice(0, -1), outN] : [outN]);
};

const gemm: Converter = (ctx: ImportContext, n: NodeInfo) => {
  const { x, k } = vectorInput(ctx, n);
  if (x.dims.length !== 2) ctx.fail(n, `A must be [1,K], got [${x.dims.join(', ')}]`);
  if (ctx.guard(n, () => n.attrs.int('transA', 0)) !== 0) ctx.fail(n, 'transA=1 is unsupported (A must be a [1,K] row)');
  const transB = ctx.guard(n, () => n.attrs.int('transB', 0)) !== 0;
  const alpha = ctx.guard(n, () => n.attrs.float('alpha', 1));
  const beta = ctx.guard(n, () => n.attrs.float('beta', 1));
  const b = ctx.cst(n, 1, 'B');
  if (b.dims.length !== 2 || b.dims[transB ? 1 : 0] !== k) ctx.fail(n, `B [${b.dims.join(', ')}]${transB ? ' (transposed)' : ''} does not multiply a vector of ${k}`, n.inputs[1]);
  const outN = b.dims[transB ? 0 : 1];
  const w = new Float32Array(outN * k);
  for (let o = 0; o < outN; o++) for (let i = 0; i < k; i++) w[o * k + i] = alpha * b.data[transB ? o * k + i : i * outN + o];
  const c = ctx.optCst(n, 2, 'C');
  const bias = c ? f32(ctx.guard(n, () => expandTo(c, [1, outN])).map((v) => v * beta)) : undefined;
  fc(ctx, n, x, w, bias, outN, [1, outN]);
};

const pad: Converter = (ctx: ImportContext, n: NodeInfo) => {
  const x = image(ctx, n);
  const mode = ctx.guard(n, () => n.attrs.string('mode', 'constant'));
  if (mode !== 'constant') ctx.fail(n, `mode '${mode}' is unsupported (only constant padding)`);
  const p = ctx.opset < 11 ? ctx.guard(n, () => n.attrs.ints('pads', []))! : Array.from(ctx.cst(n, 1, 'pads').data);
  if (ctx.opset >= 18 && n.inputs[3]) ctx.fail(n, 'the axes input is unsupported');
  const value = ctx.opset < 11 ? ctx.guard(n, () => n.attrs.float('value', 0)) : (ctx.optCst(n, 2, 'constant_value')?.data[0] ?? 0);
  if (p.length !== 8 || p[0] || p[1] || p[4] || p[5]) ctx.fail(n, `pads [${p.join(', ')}] must pad only H and W of a [1,C,H,W] tensor`);
  if ([p[2], p[3], p[6], p[7]].some((v) => !Number.isInteger(v) || v < 0 || v > MAX_DIM)) ctx.fail(n, `negative (cropping) or invalid pads [${p.join(', ')}] are unsupported`);
  const y = ctx.emit({ op: 'pad', name: ctx.nodeName(n), input: x.name, output: ctx.tensor(n.outputs[0]), pad: [p[2], p[3], p[6], p[7]], value });
  ctx.setRt(n.outputs[0], y.output, [1, x.c, x.h + p[2] + p[6], x.w + p[3] + p[7]]);
};

export const NN_CONVERTERS: Record<string, Converter> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  BatchNormalization: batchNorm,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalAvgPool,
  GlobalMaxPool: globalMaxPool,
  MatMul: matMul,
  Gemm: gemm,
  Pad: pad,
};
