/** CPU twin of shaders/depthwise.wgsl, on the same packed data. */
import type { OverrideValues, ParamValues } from '../spec.js';
import { cpuAct, cpuClamp, f32Param, view } from './act.js';

export function cpuDepthwise(
  views: Record<string, Float32Array>,
  params: ParamValues,
  overrides: OverrideValues,
): void {
  const input = view(views, 'input', 'depthwise');
  const weights = view(views, 'weights', 'depthwise');
  const output = view(views, 'output', 'depthwise');
  const { in_h: inH, in_w: inW, out_h: outH, out_w: outW, c4 } = params;
  const { stride_h: sh, stride_w: sw, dil_h: dh, dil_w: dw, pad_t: pt, pad_l: pl } = params;
  const wOff = params.w_offset * 4;
  const bOff = params.b_offset * 4;
  const lo = f32Param(params, 'clamp_lo');
  const hi = f32Param(params, 'clamp_hi');
  const { ACT: actCode, KH: kh, KW: kw } = overrides;
  const C = c4 * 4;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let c = 0; c < C; c++) {
        let acc = weights[bOff + c];
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= inH) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (ix < 0 || ix >= inW) continue;
            acc += weights[wOff + (ky * kw + kx) * C + c] * input[(iy * inW + ix) * C + c];
          }
        }
        output[(oy * outW + ox) * C + c] = cpuClamp(cpuAct(actCode, acc), lo, hi);
      }
    }
  }
}
