/**
 * Spatial and shape ops of the TF.js importer: Mean (spatial), AvgPool / MaxPool,
 * ResizeBilinear / ResizeNearestNeighbor, ConcatV2 on channels, Pad / PadV2 (zero padding stays
 * lazy so the next conv takes it), and the Reshape / Squeeze forms that keep an NHWC layout.
 * Pending per-channel multipliers pass through the ops that are linear per channel.
 */
import { convOutSize } from '../graph/shapes.js';
import { type TfNode, attrStr, attrInts, attrBool } from './tfjs_format.js';
import { scalarOf, numel } from './tfjs_host.js';
import type { Lowering } from './tfjs_lower.js';
import type { Value, Pad4 } from './tfjs_values.js';
import { hostOf, intsOf, tfPadding, devOf as dev } from './tfjs_conv.js';

export function mean(L: Lowering, n: TfNode, ins: Value[]): Value {
  const axes = intsOf(L, n, ins[1], 'reduction_indices').map((a) => (a < 0 ? a + 4 : a)).sort();
  if (axes.length !== 2 || axes[0] !== 1 || axes[1] !== 2) return L.fail(n, `mean over axes [${axes.join(', ')}] (only the spatial mean over [1, 2] is supported)`);
  const x = dev(L, n, ins[0]);
  return L.emit({ op: 'global_avg_pool', name: n.name, input: x.tensor, output: n.name }, { h: 1, w: 1, c: x.shape.c }, x.scale);
}

export function pool(L: Lowering, n: TfNode, v: Value): Value {
  const [, kh, kw] = attrInts(n, 'ksize') ?? [];
  const [, sh, sw] = attrInts(n, 'strides') ?? [];
  if (!kh || !kw || !sh || !sw) return L.fail(n, 'ksize and strides are required');
  if ((attrStr(n, 'data_format') ?? 'NHWC') !== 'NHWC') return L.fail(n, 'only NHWC pooling is supported');
  const avg = n.op === 'AvgPool';
  let x = dev(L, n, v);
  if (!avg && x.scale?.some((s) => !(s > 0))) x = L.materialize(x, n);
  const { h, w, c } = x.shape;
  const pad = tfPadding(L, n, h, w, kh, kw, sh, sw, 1, 1);
  const oh = convOutSize(h, kh, sh, 1, pad[0], pad[2]);
  const ow = convOutSize(w, kw, sw, 1, pad[1], pad[3]);
  if (oh < 1 || ow < 1) return L.fail(n, `input ${h}x${w} is too small for a ${kh}x${kw} pool`);
  if (avg && oh === 1 && ow === 1 && pad[0] <= 0 && pad[1] <= 0 && kh - pad[0] >= h && kw - pad[1] >= w) {
    return L.emit({ op: 'global_avg_pool', name: n.name, input: x.tensor, output: n.name }, { h: 1, w: 1, c }, x.scale);
  }
  return L.emit(
    { op: 'pool2d', name: n.name, kind: avg ? 'avg' : 'max', input: x.tensor, output: n.name, kh, kw, strideH: sh, strideW: sw, pad, countIncludePad: false },
    { h: oh, w: ow, c },
    x.scale,
  );
}

export function resize(L: Lowering, n: TfNode, ins: Value[]): Value {
  const size = intsOf(L, n, ins[1], 'the size');
  if (size.length !== 2 || size.some((d) => !(d >= 1))) return L.fail(n, `size [${size.join(', ')}] is not two positive integers`);
  const align = attrBool(n, 'align_corners') ?? false;
  const half = attrBool(n, 'half_pixel_centers') ?? false;
  const bilinear = n.op === 'ResizeBilinear';
  // TF nearest neighbour rounds (align_corners) or offsets by half a pixel without the -0.5:
  // neither matches the IR's floor-based nearest modes, so only the legacy mode is accepted.
  if (!bilinear && (align || half)) return L.fail(n, 'nearest-neighbour resize with align_corners or half_pixel_centers is not supported');
  const x = dev(L, n, ins[0]);
  const coord = align ? 'align_corners' : half ? 'half_pixel' : 'asymmetric';
  return L.emit(
    { op: 'resize', name: n.name, input: x.tensor, output: n.name, outH: size[0], outW: size[1], mode: bilinear ? 'bilinear' : 'nearest', coord },
    { h: size[0], w: size[1], c: x.shape.c },
    x.scale,
  );
}

export function concat(L: Lowering, n: TfNode, ins: Value[]): Value {
  const axis = scalarOf(hostOf(L, n, ins[ins.length - 1], 'the axis'));
  if (axis !== 3 && axis !== -1) return L.fail(n, `concatenation along axis ${axis} (only channels, axis 3)`);
  const parts = ins.slice(0, -1).map((v) => dev(L, n, v));
  if (parts.length === 1) return parts[0];
  const scale = parts.some((p) => p.scale) ? Float32Array.from(parts.flatMap((p) => Array.from(p.scale ?? new Float32Array(p.shape.c).fill(1)))) : undefined;
  const c = parts.reduce((s, p) => s + p.shape.c, 0);
  return L.emit({ op: 'concat', name: n.name, inputs: parts.map((p) => p.tensor), output: n.name }, { ...parts[0].shape, c }, scale);
}

export function pad(L: Lowering, n: TfNode, ins: Value[]): Value {
  const p = intsOf(L, n, ins[1], 'paddings');
  if (p.length !== 8 || p[0] || p[1] || p[6] || p[7]) return L.fail(n, `paddings [${p.join(', ')}] must pad only H and W of an NHWC tensor`);
  if (p.some((v) => v < 0)) return L.fail(n, 'negative padding');
  const amount: Pad4 = [p[2], p[4], p[3], p[5]];
  const value = n.op === 'PadV2' ? scalarOf(hostOf(L, n, ins[2], 'the pad value')) : 0;
  const x = ins[0];
  if (value === 0 && x.kind === 'pad') return { kind: 'pad', src: x.src, pad: amount.map((a, i) => a + x.pad[i]) as Pad4 };
  if (value === 0 && x.kind === 'dev') return { kind: 'pad', src: x, pad: amount };
  const m = L.materialize(x, n);
  const s = m.shape;
  return L.emit({ op: 'pad', name: n.name, input: m.tensor, output: n.name, pad: amount, value }, { h: s.h + p[2] + p[3], w: s.w + p[4] + p[5], c: s.c });
}

export function reshapeDev(L: Lowering, n: TfNode, v: Value, target: number[]): Value {
  const x = dev(L, n, v);
  const { h, w, c } = x.shape;
  const total = h * w * c;
  const known = target.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  const t = target.map((d) => (d === -1 ? total / known : d));
  if (numel(t) !== total) return L.fail(n, `cannot reshape ${h}x${w}x${c} to [${target.join(', ')}]`);
  if (t.length === 4 && t[0] === 1) {
    if (t[1] === h && t[2] === w && t[3] === c) return x;
    const shape = { h: t[1], w: t[2], c: t[3] };
    if (t[3] !== c && !(h * w === 1 && t[1] * t[2] === 1)) return L.fail(n, `reshape ${h}x${w}x${c} -> [${t.join(', ')}] changes the channel layout (unsupported)`);
    const m = L.materialize(x, n);
    return L.emit({ op: 'reshape', name: n.name, input: m.tensor, output: n.name, shape }, shape);
  }
  // [1, C] / [C] views of a 1x1xC map keep the NHWC value (e.g. before a squeeze)
  if (h * w === 1 && t[t.length - 1] === c) return x;
  return L.fail(n, `reshape ${h}x${w}x${c} -> [${t.join(', ')}] is not an NHWC reshape`);
}

export function squeezeDev(L: Lowering, n: TfNode, v: Value, dims: number[]): Value {
  const x = dev(L, n, v);
  const norm = dims.map((d) => (d < 0 ? d + 4 : d));
  if (x.shape.h * x.shape.w === 1 && norm.every((d) => d === 0 || d === 1 || d === 2)) return x;
  return L.fail(n, `squeeze [${dims.join(', ')}] of a ${x.shape.h}x${x.shape.w}x${x.shape.c} activation`);
}
