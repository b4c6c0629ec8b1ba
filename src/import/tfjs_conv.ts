/**
 * The convolution family of TF ops -> IR conv2d / conv_transpose:
 * Conv2D, DepthwiseConv2dNative, their TF.js-fused forms (_FusedConv2D,
 * FusedDepthwiseConv2dNative with fused_ops BiasAdd | FusedBatchNorm, then Relu | Relu6 |
 * Sigmoid), and Conv2DBackpropInput (transposed convolution).
 *
 * Layouts: TF filters are HWIO [kh, kw, in, out] (depthwise [kh, kw, C, multiplier], the
 * multiplier must be 1); the IR wants OIHW. Conv2DBackpropInput's filter is
 * [kh, kw, result channels, input channels]; the IR conv_transpose wants [in][out][kh][kw].
 * TF SAME padding is asymmetric: total = max((ceil(in/s)-1)*s + (k-1)*d + 1 - in, 0),
 * top = floor(total / 2).
 */
import type { Act, Conv2dNode, ConvTransposeNode } from '../graph/ir.js';
import { convOutSize } from '../graph/shapes.js';
import { type TfNode, attrStr, attrInts, attrInt, attrStrs, attrFloat } from './tfjs_format.js';
import type { HostTensor } from './tfjs_host.js';
import type { Lowering } from './tfjs_lower.js';
import type { Value, DevValue, Pad4 } from './tfjs_values.js';

export function hostOf(L: Lowering, n: TfNode, v: Value, what: string): HostTensor {
  if (v.kind !== 'host') return L.fail(n, `${what} must be a constant known at import time (it is computed from activations)`);
  return v.t;
}

export const intsOf = (L: Lowering, n: TfNode, v: Value, what: string): number[] => Array.from(hostOf(L, n, v, what).data);

/** an activation (with any pending scale kept); lazy pads are applied */
export function devOf(L: Lowering, n: TfNode, v: Value): DevValue {
  if (v.kind === 'host') return L.fail(n, 'expected an activation, got a constant');
  return v.kind === 'dev' ? v : L.materialize(v, n);
}

function samePad(size: number, k: number, s: number, d: number): [number, number] {
  const total = Math.max((Math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0);
  const a = Math.floor(total / 2);
  return [a, total - a];
}

/** [top, left, bottom, right] for a TF padding attribute. */
export function tfPadding(L: Lowering, n: TfNode, h: number, w: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number): Pad4 {
  const p = attrStr(n, 'padding') ?? 'VALID';
  if (p === 'VALID') return [0, 0, 0, 0];
  if (p === 'SAME') {
    const [t, b] = samePad(h, kh, sh, dh);
    const [l, r] = samePad(w, kw, sw, dw);
    return [t, l, b, r];
  }
  if (p === 'EXPLICIT') {
    const e = attrInts(n, 'explicit_paddings') ?? [];
    if (e.length !== 8 || e[0] || e[1] || e[6] || e[7]) return L.fail(n, `explicit_paddings [${e.join(', ')}] must pad only H and W`);
    return [e[2], e[4], e[3], e[5]];
  }
  return L.fail(n, `padding '${p}' is not SAME, VALID or EXPLICIT`);
}

const addPads = (a: Pad4, b: Pad4): Pad4 => [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]];

function checkNhwc(L: Lowering, n: TfNode): void {
  const f = attrStr(n, 'data_format');
  if (f && f !== 'NHWC') L.fail(n, `data_format '${f}' is not supported (only NHWC)`);
}

function act(L: Lowering, n: TfNode, name: string): Act {
  switch (name) {
    case 'Relu':
      return 'relu';
    case 'Relu6':
      return 'relu6';
    case 'Sigmoid':
      return 'sigmoid';
    default:
      return L.fail(n, `fused activation '${name}' is not supported (Relu, Relu6 and Sigmoid are)`);
  }
}

/** bias, per-output-channel multiplier (a fused BatchNorm) and activation of a TF.js fused conv */
function fusedOps(L: Lowering, n: TfNode, ins: Value[], outC: number, argStart: number): { bias?: Float32Array; mult?: Float32Array; act: Act } {
  if (!n.op.startsWith('_Fused') && !n.op.startsWith('Fused')) return { act: 'none' };
  const ops = attrStrs(n, 'fused_ops') ?? [];
  const numArgs = attrInt(n, 'num_args') ?? 0;
  const args = ins.slice(argStart, argStart + numArgs).map((v, i) => hostOf(L, n, v, `fused argument ${i}`));
  const vec = (t: HostTensor | undefined, what: string): Float32Array => {
    if (!t || t.data.length !== outC) return L.fail(n, `${what} has ${t?.data.length ?? 0} values, expected ${outC}`);
    return Float32Array.from(t.data);
  };
  let bias: Float32Array | undefined;
  let mult: Float32Array | undefined;
  let rest = ops;
  if (ops[0] === 'BiasAdd') {
    bias = vec(args[0], 'bias');
    rest = ops.slice(1);
  } else if (ops[0] === 'FusedBatchNorm' || ops[0] === 'FusedBatchNormV3') {
    const eps = attrFloat(n, 'epsilon') ?? 1e-3;
    const [g, b, m, v] = ['scale', 'offset', 'mean', 'variance'].map((k, i) => vec(args[i], `batch-norm ${k}`));
    mult = g.map((x, o) => x / Math.sqrt(v[o] + eps));
    bias = b.map((x, o) => x - m[o] * mult![o]);
    rest = ops.slice(1);
  }
  if (rest.length > 1) return L.fail(n, `fused_ops [${ops.join(', ')}] are not supported`);
  return { bias, mult, act: rest.length ? act(L, n, rest[0]) : 'none' };
}

/** Conv2D, DepthwiseConv2dNative, _FusedConv2D, FusedDepthwiseConv2dNative */
export function lowerConv(L: Lowering, n: TfNode, ins: Value[]): Value {
  checkNhwc(L, n);
  const depthwise = n.op.includes('Depthwise');
  const [, sh, sw] = attrInts(n, 'strides') ?? [1, 1, 1, 1];
  const [, dh, dw] = attrInts(n, 'dilations') ?? [1, 1, 1, 1];
  const f = hostOf(L, n, ins[1], 'the filter');
  if (f.shape.length !== 4) return L.fail(n, `filter shape [${f.shape.join(', ')}] is not 4-D`);
  const [kh, kw, fi, fo] = f.shape;
  const outC = depthwise ? fi * fo : fo;
  const { bias, mult, act: a } = fusedOps(L, n, ins, outC, 2);

  const build = (src: DevValue, pad: Pad4, dil: [number, number], stride: [number, number]): DevValue => {
    const c = src.shape.c;
    if (depthwise && (fi !== c || fo !== 1)) return L.fail(n, `depthwise filter [${f.shape.join(', ')}] on ${c} channels (only channel multiplier 1 is supported)`);
    if (!depthwise && fi !== c) return L.fail(n, `filter [${f.shape.join(', ')}] expects ${fi} input channels, the input has ${c} (grouped convolutions are not supported)`);
    const inPer = depthwise ? 1 : c;
    const weight = new Float32Array(outC * inPer * kh * kw);
    for (let o = 0; o < outC; o++) {
      for (let i = 0; i < inPer; i++) {
        const ic = depthwise ? o : i;
        const k = (src.scale ? src.scale[ic] : 1) * (mult ? mult[o] : 1);
        for (let y = 0; y < kh; y++) {
          for (let x = 0; x < kw; x++) weight[((o * inPer + i) * kh + y) * kw + x] = f.data[((y * kw + x) * fi + (depthwise ? o : i)) * fo + (depthwise ? 0 : o)] * k;
        }
      }
    }
    const oh = convOutSize(src.shape.h, kh, stride[0], dil[0], pad[0], pad[2]);
    const ow = convOutSize(src.shape.w, kw, stride[1], dil[1], pad[1], pad[3]);
    if (oh < 1 || ow < 1) return L.fail(n, `input ${src.shape.h}x${src.shape.w} is too small for a ${kh}x${kw} kernel`);
    const node: Conv2dNode = {
      op: 'conv2d', name: n.name, input: src.tensor, output: n.name, outC, kh, kw, strideH: stride[0], strideW: stride[1], dilationH: dil[0], dilationW: dil[1],
      pad, groups: depthwise && c > 1 ? c : 1, weight, bias, epilogue: { act: a },
    };
    return L.emit(node, { h: oh, w: ow, c: outC });
  };

  const x = ins[0];
  if (x.kind === 's2b') {
    // SpaceToBatchND -> VALID stride-1 conv -> BatchToSpaceND is a dilated conv (TF's rewrite)
    if (sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1 || (attrStr(n, 'padding') ?? 'VALID') !== 'VALID') {
      return L.fail(n, 'reads a SpaceToBatchND output but is not a stride-1 undilated VALID conv');
    }
    const base = x.src;
    const src = base.kind === 'pad' ? base.src : base;
    const pre = addPads(base.kind === 'pad' ? base.pad : [0, 0, 0, 0], x.pad);
    return {
      kind: 'dilated',
      block: x.block,
      finish: (crops) => {
        const pad = pre.map((p, i) => p - crops[i]) as Pad4;
        if (pad.some((p) => p < 0)) return L.fail(n, `BatchToSpaceND crops [${crops.join(', ')}] exceed the SpaceToBatchND padding [${pre.join(', ')}]`);
        return build(src, pad, x.block, [1, 1]);
      },
    };
  }
  let src: DevValue;
  let pre: Pad4 = [0, 0, 0, 0];
  if (x.kind === 'pad') {
    src = x.src;
    pre = x.pad;
  } else {
    src = x.kind === 'dev' ? x : L.materialize(x, n);
  }
  const h = src.shape.h + pre[0] + pre[2];
  const w = src.shape.w + pre[1] + pre[3];
  return build(src, addPads(pre, tfPadding(L, n, h, w, kh, kw, sh, sw, dh, dw)), [dh, dw], [sh, sw]);
}

/** Conv2DBackpropInput(input_sizes, filter, x): the gradient of a conv, i.e. a transposed conv. */
export function lowerConvTranspose(L: Lowering, n: TfNode, ins: Value[]): Value {
  checkNhwc(L, n);
  const sizes = intsOf(L, n, ins[0], 'input_sizes');
  const f = hostOf(L, n, ins[1], 'the filter');
  const [, sh, sw] = attrInts(n, 'strides') ?? [1, 1, 1, 1];
  const [, dh, dw] = attrInts(n, 'dilations') ?? [1, 1, 1, 1];
  if (dh !== 1 || dw !== 1) return L.fail(n, 'dilated transposed convolutions are not supported');
  if (sizes.length !== 4 || sizes[0] > 1 || f.shape.length !== 4) return L.fail(n, `input_sizes [${sizes.join(', ')}] / filter [${f.shape.join(', ')}] are not a batch-1 NHWC transposed conv`);
  const x0 = ins[2];
  const x = x0.kind === 'dev' ? x0 : L.materialize(x0, n);
  const [, oh, ow, oc] = sizes;
  const [kh, kw, fo, fi] = f.shape;
  const ic = x.shape.c;
  if (fo !== oc || fi !== ic) return L.fail(n, `filter [${f.shape.join(', ')}] does not map ${ic} to ${oc} channels`);
  const pad = tfPadding(L, n, oh, ow, kh, kw, sh, sw, 1, 1);
  if (convOutSize(oh, kh, sh, 1, pad[0], pad[2]) !== x.shape.h || convOutSize(ow, kw, sw, 1, pad[1], pad[3]) !== x.shape.w) {
    return L.fail(n, `input ${x.shape.h}x${x.shape.w} is not the forward-conv size of the requested ${oh}x${ow} output`);
  }
  const outputPadding: [number, number] = [oh - ((x.shape.h - 1) * sh + kh - pad[0] - pad[2]), ow - ((x.shape.w - 1) * sw + kw - pad[1] - pad[3])];
  if (outputPadding[0] < 0 || outputPadding[1] < 0) return L.fail(n, 'output is smaller than the transposed convolution produces');
  const weight = new Float32Array(ic * oc * kh * kw);
  for (let i = 0; i < ic; i++) {
    const k = x.scale ? x.scale[i] : 1;
    for (let o = 0; o < oc; o++) {
      for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) weight[((i * oc + o) * kh + y) * kw + xx] = f.data[((y * kw + xx) * fo + o) * fi + i] * k;
    }
  }
  const node: ConvTransposeNode = {
    op: 'conv_transpose', name: n.name, input: x.tensor, output: n.name, outC: oc, kh, kw, strideH: sh, strideW: sw, pad, outputPadding, weight, epilogue: { act: 'none' },
  };
  return L.emit(node, { h: oh, w: ow, c: oc });
}
