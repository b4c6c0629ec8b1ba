/** CPU twin of shaders/global_pool.wgsl. */
import type { OverrideValues, ParamValues } from '../spec.js';
import { view } from './act.js';

export function cpuGlobalPool(
  views: Record<string, Float32Array>,
  params: ParamValues,
  _overrides: OverrideValues,
): void {
  const input = view(views, 'input', 'global_pool');
  const output = view(views, 'output', 'global_pool');
  const { pixels, c4 } = params;
  const C = c4 * 4;
  const sum = new Float64Array(C);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < C; c++) sum[c] += input[p * C + c];
  }
  for (let c = 0; c < C; c++) output[c] = sum[c] / pixels;
}
