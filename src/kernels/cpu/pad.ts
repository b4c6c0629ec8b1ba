/** CPU twin of shaders/pad.wgsl. */
import type { OverrideValues, ParamValues } from '../spec.js';
import { f32Param, view } from './act.js';

export function cpuPad(views: Record<string, Float32Array>, params: ParamValues, _overrides: OverrideValues): void {
  const input = view(views, 'input', 'pad');
  const output = view(views, 'output', 'pad');
  const { in_h: inH, in_w: inW, out_h: outH, out_w: outW, c4, c, pad_t: pt, pad_l: pl } = params;
  const value = f32Param(params, 'value');
  const C = c4 * 4;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const iy = oy - pt;
      const ix = ox - pl;
      const ob = (oy * outW + ox) * C;
      if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) {
        const ib = (iy * inW + ix) * C;
        for (let k = 0; k < C; k++) output[ob + k] = input[ib + k];
      } else {
        for (let k = 0; k < C; k++) output[ob + k] = k < c ? value : 0;
      }
    }
  }
}
