/** resize: bilinear / nearest spatial resize through a per-axis source table (shaders/resize.wgsl). */
import { defineKernel, linearDispatch, RESIZE_MODES, type KernelSpec } from './spec.js';

export const RESIZE: KernelSpec = defineKernel({
  name: 'resize',
  file: 'resize.wgsl',
  bindings: [
    { name: 'input', binding: 0, kind: 'read-only-storage' },
    { name: 'weights', binding: 1, kind: 'read-only-storage' },
    { name: 'output', binding: 2, kind: 'storage' },
    { name: 'params', binding: 3, kind: 'uniform' },
  ],
  params: [
    { name: 'in_h', type: 'u32' },
    { name: 'in_w', type: 'u32' },
    { name: 'out_h', type: 'u32' },
    { name: 'out_w', type: 'u32' },
    { name: 'c4', type: 'u32' },
    { name: 'w_offset', type: 'u32' },
  ],
  overrides: { MODE: [RESIZE_MODES.bilinear, RESIZE_MODES.nearest] },
  workgroupSize: [64, 1, 1],
  dispatchSize(params) {
    // one thread per output vec4
    return linearDispatch(params.out_h * params.out_w * params.c4, 64);
  },
});

/** Source coordinate of output index d along an axis resized from inSize to outSize. */
export type ResizeSourceFn = (d: number, inSize: number, outSize: number) => number;

/**
 * The resize table: out_h row vec4 (y0, y1, fy, 0) then out_w column vec4 (x0, x1, fx, 0),
 * computed in float64 from `source` with the reference's clamping (src/graph/reference.ts):
 * bilinear: s clamped to [0, in-1], i0 = floor(s), i1 = min(i0+1, in-1), f = s - i0;
 * nearest: i0 = i1 = clamp(nearestIndex(s), 0, in-1), f = 0 (nearestIndex defaults to floor).
 */
export function packResize(
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  mode: keyof typeof RESIZE_MODES,
  source: ResizeSourceFn,
  nearestIndex: (s: number) => number = Math.floor,
): Float32Array {
  const t = new Float32Array((outH + outW) * 4);
  const axis = (base: number, inSize: number, outSize: number): void => {
    for (let d = 0; d < outSize; d++) {
      const s = source(d, inSize, outSize);
      const o = (base + d) * 4;
      if (mode === 'nearest') {
        const i = Math.min(Math.max(nearestIndex(s), 0), inSize - 1);
        t[o] = i;
        t[o + 1] = i;
      } else {
        const cs = Math.min(Math.max(s, 0), inSize - 1);
        const i0 = Math.floor(cs);
        t[o] = i0;
        t[o + 1] = Math.min(i0 + 1, inSize - 1);
        t[o + 2] = cs - i0;
      }
    }
  };
  axis(0, inH, outH);
  axis(outH, inW, outW);
  return t;
}
