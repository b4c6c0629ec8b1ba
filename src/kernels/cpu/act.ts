/** Activation and clamp helpers shared by the CPU twins (the WGSL `act` functions' semantics). */
import { NO_CLAMP, type ParamValues } from '../spec.js';

/** Applies activation `code` (ACT_CODES) to one value. */
export function cpuAct(code: number, x: number): number {
  switch (code) {
    case 0:
      return x;
    case 1:
      return x > 0 ? x : 0;
    case 2:
      return Math.min(Math.max(x, 0), 6);
    case 3:
      return (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
    case 4:
      return Math.min(Math.max(x + 3, 0), 6) / 6;
    case 5:
      return 1 / (1 + Math.exp(-x));
    default:
      throw new Error(`unknown activation code ${code}`);
  }
}

/** min(max(x, lo), hi), like WGSL clamp. */
export function cpuClamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/** A Params f32 field as the GPU sees it (rounded to f32). */
export function f32Param(params: ParamValues, name: string): number {
  return Math.fround(params[name]);
}

/**
 * An optional f32 clamp bound (a field added after the kernel's first version: Params built
 * without it, e.g. by older tests or tools, mean no clamp), as the GPU sees it.
 */
export function f32Bound(params: ParamValues, name: string, side: 'lo' | 'hi'): number {
  const v = params[name];
  return Math.fround(v === undefined ? (side === 'lo' ? -NO_CLAMP : NO_CLAMP) : v);
}

/** Fetches a named view, with a clear error when the executor did not provide it. */
export function view(views: Record<string, Float32Array>, name: string, kernel: string): Float32Array {
  const v = views[name];
  if (!v) throw new Error(`cpu ${kernel}: missing view '${name}'`);
  return v;
}
