/** CPU twin of shaders/pointwise.wgsl, on the same packed data. */
import type { OverrideValues, ParamValues } from '../spec.js';
import { cpuAct, cpuClamp, f32Bound, f32Param, view } from './act.js';

export function cpuPointwise(
  views: Record<string, Float32Array>,
  params: ParamValues,
  overrides: OverrideValues,
): void {
  const input = view(views, 'input', 'pointwise');
  const weights = view(views, 'weights', 'pointwise');
  const output = view(views, 'output', 'pointwise');
  const hasScale = overrides.HAS_SCALE === 1;
  const hasRes = overrides.HAS_RES === 1;
  const scale = hasScale ? view(views, 'scale', 'pointwise') : undefined;
  const residual = hasRes ? view(views, 'residual', 'pointwise') : undefined;
  const { pixels, in_c4: inC4, out_c4: outC4 } = params;
  const wOff = params.w_offset * 4;
  const bOff = params.b_offset * 4;
  const lo = f32Param(params, 'clamp_lo');
  const hi = f32Param(params, 'clamp_hi');
  const postLo = f32Param(params, 'post_lo');
  const postHi = f32Param(params, 'post_hi');
  const scaleLo = f32Bound(params, 'scale_lo', 'lo');
  const scaleHi = f32Bound(params, 'scale_hi', 'hi');
  const actCode = overrides.ACT;
  const inC = inC4 * 4;
  const outC = outC4 * 4;
  const x = new Float64Array(inC);
  for (let p = 0; p < pixels; p++) {
    if (scale) for (let c = 0; c < inC; c++) x[c] = cpuClamp(input[p * inC + c] * scale[c], scaleLo, scaleHi);
    else for (let c = 0; c < inC; c++) x[c] = input[p * inC + c];
    for (let o = 0; o < outC; o++) {
      const oc4 = o >> 2;
      const j = o & 3;
      let acc = weights[bOff + o];
      for (let ic4 = 0; ic4 < inC4; ic4++) {
        const wb = wOff + (ic4 * outC4 + oc4) * 16 + j;
        acc +=
          weights[wb] * x[ic4 * 4] +
          weights[wb + 4] * x[ic4 * 4 + 1] +
          weights[wb + 8] * x[ic4 * 4 + 2] +
          weights[wb + 12] * x[ic4 * 4 + 3];
      }
      const idx = p * outC + o;
      let v = cpuClamp(cpuAct(actCode, acc), lo, hi);
      if (residual) v += residual[idx];
      output[idx] = cpuClamp(v, postLo, postHi);
    }
  }
}
