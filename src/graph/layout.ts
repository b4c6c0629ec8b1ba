/** Conversions between user tensors (NHWC, c channels) and arena tensors (NHWC, c4*4 channels). */
import type { PlanTensor } from './plan.js';

export function padChannels(data: ArrayLike<number>, pixels: number, c: number, out?: Float32Array): Float32Array {
  const cp = Math.ceil(c / 4) * 4;
  const r = out ?? new Float32Array(pixels * cp);
  if (cp === c && data instanceof Float32Array) {
    r.set(data);
    return r;
  }
  // the padding lanes are written too: `out` may hold an earlier tensor (a reused arena slot)
  for (let p = 0; p < pixels; p++) for (let k = 0; k < cp; k++) r[p * cp + k] = k < c ? data[p * c + k] : 0;
  return r;
}

export function unpadChannels(data: Float32Array, pixels: number, c: number): Float32Array {
  const cp = Math.ceil(c / 4) * 4;
  if (cp === c) return data.slice(0, pixels * c);
  const r = new Float32Array(pixels * c);
  for (let p = 0; p < pixels; p++) for (let k = 0; k < c; k++) r[p * c + k] = data[p * cp + k];
  return r;
}

export const tensorFloats = (t: PlanTensor): number => t.h * t.w * t.c4 * 4;
