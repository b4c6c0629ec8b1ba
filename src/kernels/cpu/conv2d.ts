/** CPU twin of shaders/conv2d.wgsl, on the same packed data. */
import type { OverrideValues, ParamValues } from '../spec.js';
import { cpuAct, cpuClamp, f32Param, view } from './act.js';

export function cpuConv2d(
  views: Record<string, Float32Array>,
  params: ParamValues,
  overrides: OverrideValues,
): void {
  const input = view(views, 'input', 'conv2d');
  const weights = view(views, 'weights', 'conv2d');
  const output = view(views, 'output', 'conv2d');
  const { in_h: inH, in_w: inW, in_c4: inC4, out_h: outH, out_w: outW, out_c4: outC4 } = params;
  const { stride_h: sh, stride_w: sw, dil_h: dh, dil_w: dw, pad_t: pt, pad_l: pl } = params;
  const wOff = params.w_offset * 4;
  const bOff = params.b_offset * 4;
  const lo = f32Param(params, 'clamp_lo');
  const hi = f32Param(params, 'clamp_hi');
  const { ACT: actCode, KH: kh, KW: kw } = overrides;
  const inC = inC4 * 4;
  const outC = outC4 * 4;
  const acc = new Float64Array(outC);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let o = 0; o < outC; o++) acc[o] = weights[bOff + o];
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - pt + ky * dh;
        if (iy < 0 || iy >= inH) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - pl + kx * dw;
          if (ix < 0 || ix >= inW) continue;
          const xb = (iy * inW + ix) * inC;
          for (let c = 0; c < inC; c++) {
            const xv = input[xb + c];
            // vec4 index ((tap*in_c4 + ic4)*out_c4 + oc4)*4 + i, lane j = o & 3
            const wb = wOff + (((ky * kw + kx) * inC4 + (c >> 2)) * outC4 * 4 + (c & 3)) * 4;
            for (let o = 0; o < outC; o++) acc[o] += weights[wb + (o >> 2) * 16 + (o & 3)] * xv;
          }
        }
      }
      const ob = (oy * outW + ox) * outC;
      for (let o = 0; o < outC; o++) output[ob + o] = cpuClamp(cpuAct(actCode, acc[o]), lo, hi);
    }
  }
}
