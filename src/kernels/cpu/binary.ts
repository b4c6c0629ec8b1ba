/** CPU twin of shaders/binary.wgsl. */
import { BINARY_BCAST, BINARY_OPS, type OverrideValues, type ParamValues } from '../spec.js';
import { cpuAct, cpuClamp, f32Param, view } from './act.js';

function op(code: number, x: number, y: number): number {
  switch (code) {
    case BINARY_OPS.add:
      return x + y;
    case BINARY_OPS.sub:
      return x - y;
    case BINARY_OPS.mul:
      return x * y;
    case BINARY_OPS.div:
      return x / y;
    case BINARY_OPS.max:
      return Math.max(x, y);
    case BINARY_OPS.min:
      return Math.min(x, y);
    default:
      throw new Error(`cpu binary: unknown OP ${code}`);
  }
}

export function cpuBinary(views: Record<string, Float32Array>, params: ParamValues, overrides: OverrideValues): void {
  const a = view(views, 'a', 'binary');
  const b = view(views, 'b', 'binary');
  const output = view(views, 'output', 'binary');
  const hasRes = overrides.HAS_RES === 1;
  const residual = hasRes ? view(views, 'residual', 'binary') : undefined;
  const { count, c4, c } = params;
  const C = c4 * 4;
  const lo = f32Param(params, 'clamp_lo');
  const hi = f32Param(params, 'clamp_hi');
  const postLo = f32Param(params, 'post_lo');
  const postHi = f32Param(params, 'post_hi');
  const { OP: code, BCAST: bcast, ACT: actCode } = overrides;
  if (bcast !== BINARY_BCAST.same && bcast !== BINARY_BCAST.channel && bcast !== BINARY_BCAST.scalar) throw new Error(`cpu binary: unknown BCAST ${bcast}`);
  for (let i = 0; i < count * 4; i++) {
    const lane = i % C;
    if (lane >= c) {
      output[i] = 0;
      continue;
    }
    const y = bcast === BINARY_BCAST.same ? b[i] : bcast === BINARY_BCAST.channel ? b[lane] : b[0];
    let v = cpuClamp(cpuAct(actCode, op(code, a[i], y)), lo, hi);
    if (residual) v += residual[i];
    output[i] = cpuClamp(v, postLo, postHi);
  }
}
