/** CPU twin of shaders/resize.wgsl, on the same table. */
import { RESIZE_MODES, type OverrideValues, type ParamValues } from '../spec.js';
import { view } from './act.js';

export function cpuResize(views: Record<string, Float32Array>, params: ParamValues, overrides: OverrideValues): void {
  const input = view(views, 'input', 'resize');
  const weights = view(views, 'weights', 'resize');
  const output = view(views, 'output', 'resize');
  const { in_w: inW, out_h: outH, out_w: outW, c4 } = params;
  const tab = params.w_offset * 4;
  const C = c4 * 4;
  const nearest = overrides.MODE === RESIZE_MODES.nearest;
  if (!nearest && overrides.MODE !== RESIZE_MODES.bilinear) throw new Error(`cpu resize: unknown MODE ${overrides.MODE}`);
  for (let oy = 0; oy < outH; oy++) {
    const ry = tab + oy * 4;
    const y0 = weights[ry] * inW;
    const y1 = weights[ry + 1] * inW;
    const fy = weights[ry + 2];
    for (let ox = 0; ox < outW; ox++) {
      const rx = tab + (outH + ox) * 4;
      const x0 = weights[rx];
      const x1 = weights[rx + 1];
      const fx = weights[rx + 2];
      const ob = (oy * outW + ox) * C;
      for (let k = 0; k < C; k++) {
        const v00 = input[(y0 + x0) * C + k];
        if (nearest) {
          output[ob + k] = v00;
          continue;
        }
        const v01 = input[(y0 + x1) * C + k];
        const v10 = input[(y1 + x0) * C + k];
        const v11 = input[(y1 + x1) * C + k];
        output[ob + k] = (v00 * (1 - fx) + v01 * fx) * (1 - fy) + (v10 * (1 - fx) + v11 * fx) * fy;
      }
    }
  }
}
