/** CPU twin of shaders/conv_transpose.wgsl, on the same packed data. */
import type { OverrideValues, ParamValues } from '../spec.js';
import { cpuAct, cpuClamp, f32Param, view } from './act.js';

export function cpuConvTranspose(views: Record<string, Float32Array>, params: ParamValues, overrides: OverrideValues): void {
  const input = view(views, 'input', 'conv_transpose');
  const weights = view(views, 'weights', 'conv_transpose');
  const output = view(views, 'output', 'conv_transpose');
  const hasRes = overrides.HAS_RES === 1;
  const residual = hasRes ? view(views, 'residual', 'conv_transpose') : undefined;
  const { in_h: inH, in_w: inW, in_c4: inC4, out_h: outH, out_w: outW, out_c4: outC4, kh, kw } = params;
  const { stride_h: sh, stride_w: sw, pad_t: pt, pad_l: pl } = params;
  const wOff = params.w_offset * 4;
  const bOff = params.b_offset * 4;
  const lo = f32Param(params, 'clamp_lo');
  const hi = f32Param(params, 'clamp_hi');
  const postLo = f32Param(params, 'post_lo');
  const postHi = f32Param(params, 'post_hi');
  const actCode = overrides.ACT;
  const inC = inC4 * 4;
  const outC = outC4 * 4;
  const acc = new Float64Array(outC);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let o = 0; o < outC; o++) acc[o] = weights[bOff + o];
      // the taps with oy + pad_t - ky = iy * stride_h, 0 <= iy < in_h (same for x)
      for (let ky = (oy + pt) % sh, iy = Math.floor((oy + pt) / sh); ky < kh && iy >= 0; ky += sh, iy--) {
        if (iy >= inH) continue;
        for (let kx = (ox + pl) % sw, ix = Math.floor((ox + pl) / sw); kx < kw && ix >= 0; kx += sw, ix--) {
          if (ix >= inW) continue;
          const xb = (iy * inW + ix) * inC;
          for (let c = 0; c < inC; c++) {
            const xv = input[xb + c];
            const wb = wOff + (((ky * kw + kx) * inC4 + (c >> 2)) * outC4 * 4 + (c & 3)) * 4;
            for (let o = 0; o < outC; o++) acc[o] += weights[wb + (o >> 2) * 16 + (o & 3)] * xv;
          }
        }
      }
      const ob = (oy * outW + ox) * outC;
      for (let o = 0; o < outC; o++) {
        let v = cpuClamp(cpuAct(actCode, acc[o]), lo, hi);
        if (residual) v += residual[ob + o];
        output[ob + o] = cpuClamp(v, postLo, postHi);
      }
    }
  }
}
