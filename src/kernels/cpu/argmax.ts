/** CPU twin of shaders/argmax.wgsl. */
import type { OverrideValues, ParamValues } from '../spec.js';
import { view } from './act.js';

export function cpuArgmax(views: Record<string, Float32Array>, params: ParamValues, _overrides: OverrideValues): void {
  const input = view(views, 'input', 'argmax');
  const output = view(views, 'output', 'argmax');
  const { pixels, c4, c } = params;
  const C = c4 * 4;
  for (let p = 0; p < pixels; p++) {
    const b = p * C;
    let best = 0;
    let bestV = input[b];
    for (let k = 0; k < c; k++) {
      if (input[b + k] > bestV) {
        best = k;
        bestV = input[b + k];
      }
    }
    output[p * 4] = best;
    output[p * 4 + 1] = 0;
    output[p * 4 + 2] = 0;
    output[p * 4 + 3] = 0;
  }
}
