/**
 * ONNX Resize (opset 10+) and Upsample (opset 7-9) -> IR resize.
 *
 * Bilinear maps directly onto the IR coordinate modes. Nearest needs care: ONNX rounds the
 * source coordinate (nearest_mode, default round_prefer_floor) while the IR floors it unless
 * told otherwise. Sizes are static at import, so the importer computes ONNX's exact source
 * index for every output row and column and picks the IR coordinate mode whose floor gives
 * the same indices (Paddle's 2x nearest with align_corners + round is exactly asymmetric +
 * floor); only when none does, it sets the IR's nearestMode (its 4x and 8x need it). When no
 * IR form reproduces the indices, the import fails and says so rather than resizing differently.
 */
import type { ResizeCoord, NearestMode } from '../graph/ir.js';
import { resizeSource, nearestIndex } from '../graph/reference_ops.js';
import type { ImportContext, NodeInfo } from './onnx_ctx.js';
import { MAX_DIM } from './onnx_ctx.js';
import type { Converter } from './onnx_ops_nn.js';

type OnnxCoord = ResizeCoord | 'tf_half_pixel_for_nn' | 'simple';

/** ONNX source coordinate of output index d (scale = the scale ONNX uses for this axis). */
function onnxSource(d: number, inSize: number, outSize: number, scale: number, coord: string): number {
  switch (coord) {
    case 'half_pixel': return (d + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel': return outSize > 1 ? (d + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return outSize > 1 ? (d * (inSize - 1)) / (outSize - 1) : 0;
    case 'asymmetric': case 'simple': return d / scale;
    case 'tf_half_pixel_for_nn': return (d + 0.5) / scale;
    default: return NaN;
  }
}

/** ONNX's source index (before clamping) for nearest_mode; 'simple' is opset < 11. */
function onnxNearest(x: number, mode: string, scale: number): number {
  // opset < 11 (Upsample, Resize-10): truncate when upsampling, ceil when downsampling
  if (mode === 'simple') return scale < 1 ? Math.ceil(x) : Math.trunc(x);
  return NEAREST_MODES.includes(mode as NearestMode) ? nearestIndex(x, mode as NearestMode) : NaN;
}

const IR_COORDS: ResizeCoord[] = ['asymmetric', 'half_pixel', 'align_corners', 'pytorch_half_pixel'];
const NEAREST_MODES: NearestMode[] = ['floor', 'round_prefer_floor', 'round_prefer_ceil', 'ceil'];

/**
 * The IR (coord, nearestMode) that selects exactly ONNX's source pixels for these sizes,
 * preferring the IR's default floor rounding.
 */
function nearestPlan(inHW: number[], outHW: number[], scales: number[], coord: OnnxCoord, mode: string): { coord: ResizeCoord; nearestMode?: NearestMode } | undefined {
  const clampIdx = (i: number, a: number): number => Math.min(Math.max(i, 0), inHW[a] - 1);
  const want = [0, 1].map((a) => Array.from({ length: outHW[a] }, (_, d) => clampIdx(onnxNearest(onnxSource(d, inHW[a], outHW[a], scales[a], coord), mode, scales[a]), a)));
  const same = (c: ResizeCoord, m: NearestMode): boolean =>
    [0, 1].every((a) => want[a].every((idx, d) => clampIdx(nearestIndex(resizeSource(d, inHW[a], outHW[a], c), m), a) === idx));
  const floorCoord = IR_COORDS.find((c) => same(c, 'floor'));
  if (floorCoord) return { coord: floorCoord };
  if ((IR_COORDS as string[]).includes(coord) && NEAREST_MODES.includes(mode as NearestMode) && same(coord as ResizeCoord, mode as NearestMode)) {
    return { coord: coord as ResizeCoord, nearestMode: mode as NearestMode };
  }
  return undefined;
}

function resizeLike(kind: 'Resize' | 'Upsample'): Converter {
  return (ctx: ImportContext, n: NodeInfo) => {
    const x = ctx.rt(n, 0);
    if (x.dims.length !== 4) ctx.fail(n, `input has shape [${x.dims.join(', ')}]; only [1,C,H,W] is supported`);
    const { h, w, c } = ctx.irShape(n, x.dims);
    const old = kind === 'Upsample' || ctx.opset < 11;
    let scales: number[] | undefined;
    let sizes: number[] | undefined;
    if (kind === 'Upsample' && ctx.opset < 9) scales = ctx.guard(n, () => n.attrs.floats('scales'));
    else if (old) scales = Array.from(ctx.cst(n, 1, 'scales').data);
    else {
      for (const a of ['axes', 'antialias'] as const) if (n.attrs.has(a) && !(a === 'antialias' && ctx.guard(n, () => n.attrs.int(a, 0)) === 0)) ctx.fail(n, `attribute ${a} is unsupported`);
      const policy = ctx.guard(n, () => n.attrs.string('keep_aspect_ratio_policy', 'stretch'));
      if (policy !== 'stretch') ctx.fail(n, `keep_aspect_ratio_policy '${policy}' is unsupported`);
      const sc = ctx.optCst(n, 2, 'scales');
      const sz = ctx.optCst(n, 3, 'sizes');
      if (sc && sc.data.length > 0) scales = Array.from(sc.data);
      else if (sz && sz.data.length > 0) sizes = Array.from(sz.data);
    }
    let outH: number;
    let outW: number;
    if (scales) {
      if (scales.length !== 4 || scales[0] !== 1 || scales[1] !== 1) ctx.fail(n, `scales [${scales.join(', ')}] must be [1, 1, sh, sw]`);
      outH = Math.floor(h * scales[2]);
      outW = Math.floor(w * scales[3]);
    } else if (sizes) {
      if (sizes.length !== 4 || sizes[0] !== 1 || sizes[1] !== c) ctx.fail(n, `sizes [${sizes.join(', ')}] must be [1, ${c}, H, W]`);
      [outH, outW] = [sizes[2], sizes[3]];
    } else ctx.fail(n, 'neither scales nor sizes is given');
    if (!(outH >= 1 && outW >= 1 && outH <= MAX_DIM && outW <= MAX_DIM && Number.isInteger(outH) && Number.isInteger(outW))) ctx.fail(n, `output size ${outH}x${outW} is empty or implausible`);
    const sc = scales ? [scales[2], scales[3]] : [outH / h, outW / w];
    const rawMode = ctx.guard(n, () => n.attrs.string('mode', 'nearest'));
    const mode = rawMode === 'bilinear' ? 'linear' : rawMode;
    const coord = (old ? (mode === 'nearest' ? 'simple' : 'asymmetric') : ctx.guard(n, () => n.attrs.string('coordinate_transformation_mode', 'half_pixel'))) as OnnxCoord;
    let irCoord: ResizeCoord | undefined;
    let nearestMode: NearestMode | undefined;
    if (mode === 'nearest') {
      const onnxMode = old ? 'simple' : ctx.guard(n, () => n.attrs.string('nearest_mode', 'round_prefer_floor'));
      const plan = nearestPlan([h, w], [outH, outW], sc, coord, onnxMode);
      if (!plan) ctx.fail(n, `nearest resize ${h}x${w} -> ${outH}x${outW} with ${coord} / ${onnxMode} picks source pixels that no IR resize mode reproduces`);
      ({ coord: irCoord, nearestMode } = plan);
    } else if (mode === 'linear') {
      if (!(IR_COORDS as string[]).includes(coord)) ctx.fail(n, `coordinate_transformation_mode '${coord}' is unsupported for linear resize`);
      // the IR maps with in/out; ONNX with the given scale: they agree when out = in * scale exactly
      if (coord !== 'align_corners' && (Math.abs(sc[0] - outH / h) > 1e-6 * sc[0] || Math.abs(sc[1] - outW / w) > 1e-6 * sc[1])) {
        ctx.fail(n, `scales [${sc.join(', ')}] do not give integral output sizes (${h * sc[0]} x ${w * sc[1]}); unsupported`);
      }
      irCoord = coord as ResizeCoord;
    } else ctx.fail(n, `mode '${rawMode}' is unsupported (nearest and linear only)`);
    const y = ctx.emit({ op: 'resize', name: ctx.nodeName(n), input: x.name, output: ctx.tensor(n.outputs[0]), outH, outW, mode: mode === 'nearest' ? 'nearest' : 'bilinear', coord: irCoord, ...(nearestMode ? { nearestMode } : {}) });
    ctx.setRt(n.outputs[0], y.output, [1, c, outH, outW]);
  };
}

export const RESIZE_CONVERTERS: Record<string, Converter> = { Resize: resizeLike('Resize'), Upsample: resizeLike('Upsample') };
