/** CPU twin of shaders/ssd_decode.wgsl (anchors in order, so candidates come out anchor-major). */
import { SSD_CODE_ORDERS, SSD_SCORES } from '../ssd_decode.js';
import type { OverrideValues, ParamValues } from '../spec.js';
import { f32Param, view } from './act.js';

export function cpuSsdDecode(views: Record<string, Float32Array>, params: ParamValues, overrides: OverrideValues): void {
  const cls = view(views, 'cls', 'ssd_decode');
  const box = view(views, 'box', 'ssd_decode');
  const weights = view(views, 'weights', 'ssd_decode');
  const output = view(views, 'output', 'ssd_decode');
  const { locations, anchors: A, classes: K, cls_c4, a_offset, anchor_base, first, first_class, capacity } = params;
  const threshold = f32Param(params, 'threshold');
  const centerScale = f32Param(params, 'center_scale');
  const sizeScale = f32Param(params, 'size_scale');
  const maxLog = f32Param(params, 'max_log_scale');
  const softmax = overrides.SCORE === SSD_SCORES.softmax;
  const tf = overrides.ORDER === SSD_CODE_ORDERS.yxhw;
  const start = first ? 0 : output[0];
  let n = 0;
  const clip = (v: number): number => Math.min(Math.max(v, 0), 1);
  for (let a = 0; a < locations * A; a++) {
    const p = Math.floor(a / A);
    const j = a % A;
    const c0 = p * cls_c4 * 4 + j * K;
    let mx = -Infinity;
    let sum = 0;
    if (softmax) {
      for (let k = 0; k < K; k++) mx = Math.max(mx, cls[c0 + k]);
      for (let k = 0; k < K; k++) sum += Math.exp(cls[c0 + k] - mx);
    }
    let corners: number[] | null = null;
    for (let k = first_class; k < K; k++) {
      const l = cls[c0 + k];
      const s = Math.fround(softmax ? Math.exp(l - mx) / sum : 1 / (1 + Math.exp(-l)));
      if (!(s > threshold)) continue;
      if (!corners) {
        const r = (p * A + j) * 4;
        const [dx, dy, dw, dh] = tf ? [box[r + 1], box[r], box[r + 3], box[r + 2]] : [box[r], box[r + 1], box[r + 2], box[r + 3]];
        const o = (a_offset + a) * 4;
        const [acx, acy, aw, ah] = [weights[o], weights[o + 1], weights[o + 2], weights[o + 3]];
        const cx = (dx / centerScale) * aw + acx;
        const cy = (dy / centerScale) * ah + acy;
        const w = Math.exp(Math.min(dw / sizeScale, maxLog)) * aw;
        const h = Math.exp(Math.min(dh / sizeScale, maxLog)) * ah;
        corners = [clip(cx - 0.5 * w), clip(cy - 0.5 * h), clip(cx + 0.5 * w), clip(cy + 0.5 * h)];
      }
      const slot = start + n++;
      if (slot < capacity) output.set([...corners, s, k, anchor_base + a, 0], (slot + 1) * 8);
    }
  }
  output.set([start + n, capacity, 0, 0, 0, 0, 0, 0], 0);
}
