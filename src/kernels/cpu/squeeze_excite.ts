/** CPU twin of shaders/squeeze_excite.wgsl, on the same packed data. */
import type { OverrideValues, ParamValues } from '../spec.js';
import { cpuAct, cpuClamp, f32Bound, view } from './act.js';

/** y[o] = clamp(act(b[o] + sum_c W[o][c] x[c]), lo, hi) with W packed like pointwise.wgsl (offsets in floats). */
function fc(weights: Float32Array, wOff: number, bOff: number, x: Float64Array, inC4: number, outC4: number, act: number, lo: number, hi: number): Float64Array {
  const y = new Float64Array(outC4 * 4);
  for (let o = 0; o < outC4 * 4; o++) {
    let acc = weights[bOff + o];
    for (let c = 0; c < inC4 * 4; c++) {
      acc += weights[wOff + ((c >> 2) * outC4 + (o >> 2)) * 16 + (c & 3) * 4 + (o & 3)] * x[c];
    }
    y[o] = cpuClamp(cpuAct(act, acc), lo, hi);
  }
  return y;
}

export function cpuSqueezeExcite(
  views: Record<string, Float32Array>,
  params: ParamValues,
  _overrides: OverrideValues,
): void {
  const input = view(views, 'input', 'squeeze_excite');
  const weights = view(views, 'weights', 'squeeze_excite');
  const output = view(views, 'output', 'squeeze_excite');
  const { pixels, c4, sq4 } = params;
  // the clamp fields are optional here (no clamp when absent); the GPU path requires them
  const bound = (name: string, side: 'lo' | 'hi'): number => f32Bound(params, name, side);
  const C = c4 * 4;
  const pooled = new Float64Array(C);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < C; c++) pooled[c] += input[p * C + c];
  }
  const [poolLo, poolHi] = [bound('pool_lo', 'lo'), bound('pool_hi', 'hi')];
  for (let c = 0; c < C; c++) pooled[c] = cpuClamp(pooled[c] / pixels, poolLo, poolHi);
  const hidden = fc(weights, params.w1_offset * 4, params.b1_offset * 4, pooled, c4, sq4, params.act1, bound('fc1_lo', 'lo'), bound('fc1_hi', 'hi'));
  const scale = fc(weights, params.w2_offset * 4, params.b2_offset * 4, hidden, sq4, c4, params.act2, bound('fc2_lo', 'lo'), bound('fc2_hi', 'hi'));
  output.set(scale.subarray(0, C));
}
