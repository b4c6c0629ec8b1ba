/** CPU twin of shaders/softmax.wgsl (both WIDE variants compute the same thing). */
import type { OverrideValues, ParamValues } from '../spec.js';
import { view } from './act.js';

export function cpuSoftmax(views: Record<string, Float32Array>, params: ParamValues, _overrides: OverrideValues): void {
  const input = view(views, 'input', 'softmax');
  const output = view(views, 'output', 'softmax');
  const { pixels, c4, c } = params;
  const C = c4 * 4;
  for (let p = 0; p < pixels; p++) {
    const b = p * C;
    let m = -3.4028234663852886e38;
    for (let k = 0; k < c; k++) m = Math.max(m, input[b + k]);
    let s = 0;
    for (let k = 0; k < c; k++) s += Math.exp(input[b + k] - m);
    for (let k = 0; k < C; k++) output[b + k] = k < c ? Math.exp(input[b + k] - m) / s : 0;
  }
}
