/** CPU twin of shaders/im2col.wgsl. */
import type { OverrideValues, ParamValues } from '../spec.js';
import { view } from './act.js';

export function cpuIm2col(views: Record<string, Float32Array>, params: ParamValues, _overrides: OverrideValues): void {
  const input = view(views, 'input', 'im2col');
  const output = view(views, 'output', 'im2col');
  const { in_h: inH, in_w: inW, in_c: inC, in_c4: inC4, out_h: outH, out_w: outW, k: K, k4: k4, kw } = params;
  const { stride_h: sh, stride_w: sw, dil_h: dh, dil_w: dw, pad_t: pt, pad_l: pl } = params;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const ob = (oy * outW + ox) * k4 * 4;
      for (let j = 0; j < k4 * 4; j++) {
        let v = 0;
        if (j < K) {
          const tap = Math.floor(j / inC);
          const ic = j % inC;
          const iy = oy * sh - pt + Math.floor(tap / kw) * dh;
          const ix = ox * sw - pl + (tap % kw) * dw;
          if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) v = input[(iy * inW + ix) * inC4 * 4 + ic];
        }
        output[ob + j] = v;
      }
    }
  }
}
