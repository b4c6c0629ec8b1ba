/** CPU twin of shaders/elementwise.wgsl. */
import { ELEMENTWISE_OPS, type OverrideValues, type ParamValues } from '../spec.js';
import { cpuAct, cpuClamp, f32Param, view } from './act.js';

export function cpuElementwise(
  views: Record<string, Float32Array>,
  params: ParamValues,
  overrides: OverrideValues,
): void {
  const a = view(views, 'a', 'elementwise');
  const output = view(views, 'output', 'elementwise');
  const op = overrides.OP;
  const b = op === ELEMENTWISE_OPS.act ? undefined : view(views, 'b', 'elementwise');
  const n = params.count * 4;
  const C = params.c4 * 4;
  const lo = f32Param(params, 'clamp_lo');
  const hi = f32Param(params, 'clamp_hi');
  const actCode = overrides.ACT;
  for (let k = 0; k < n; k++) {
    let v = a[k];
    if (op === ELEMENTWISE_OPS.add) v += b![k];
    else if (op === ELEMENTWISE_OPS.channel_scale) v *= b![k % C];
    else if (op !== ELEMENTWISE_OPS.act) throw new Error(`cpu elementwise: unknown OP ${op}`);
    output[k] = cpuClamp(cpuAct(actCode, v), lo, hi);
  }
}
