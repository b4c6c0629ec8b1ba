/** CPU twin of shaders/constant.wgsl. */
import type { OverrideValues, ParamValues } from '../spec.js';
import { view } from './act.js';

export function cpuConstant(views: Record<string, Float32Array>, params: ParamValues, _overrides: OverrideValues): void {
  const weights = view(views, 'weights', 'constant');
  const output = view(views, 'output', 'constant');
  const n = params.count * 4;
  const off = params.w_offset * 4;
  output.set(weights.subarray(off, off + n));
}
