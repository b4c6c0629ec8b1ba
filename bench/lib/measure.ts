/** Statistics and output comparison, shared by the page, the Node worker and the report. */
import type { Stats, Comparison } from './types.js';

export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = (sorted.length - 1) * p;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

export function stats(ts: readonly number[]): Stats {
  const s = [...ts].sort((a, b) => a - b);
  return {
    median: quantile(s, 0.5),
    p10: quantile(s, 0.1),
    p90: quantile(s, 0.9),
    min: s[0] ?? NaN,
    max: s[s.length - 1] ?? NaN,
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
    n: s.length,
  };
}

export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/** NHWC [h,w,c] -> NCHW [c,h,w] (batch 1) */
export function nhwcToNchw(x: ArrayLike<number>, h: number, w: number, c: number): Float32Array {
  const y = new Float32Array(h * w * c);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) y[k * h * w + p] = x[p * c + k];
  return y;
}

/**
 * y vs ref elementwise. Bound: max |y - ref| <= absTol * max(1, max |ref|), no NaN/Inf,
 * and for classifiers the same top-1 unless the reference's top-2 gap is within the bound.
 */
export function compare(y: ArrayLike<number>, ref: ArrayLike<number>, absTol: number, classification: boolean): Comparison {
  let maxAbsDiff = 0;
  let maxAbsRef = 0;
  let num = 0;
  let den = 0;
  let nonFinite = 0;
  if (y.length !== ref.length) {
    return { maxAbsDiff: Infinity, maxAbsRef: NaN, bound: NaN, relL2: Infinity, nonFinite: 0, ok: false };
  }
  for (let i = 0; i < ref.length; i++) {
    const v = y[i];
    if (!Number.isFinite(v)) nonFinite++;
    const d = Math.abs(v - ref[i]);
    if (d > maxAbsDiff || Number.isNaN(d)) maxAbsDiff = Number.isNaN(d) ? Infinity : d;
    maxAbsRef = Math.max(maxAbsRef, Math.abs(ref[i]));
    num += (v - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  const bound = absTol * Math.max(1, maxAbsRef);
  let ok = nonFinite === 0 && maxAbsDiff <= bound;
  const r: Comparison = { maxAbsDiff, maxAbsRef, bound, relL2: Math.sqrt(num / Math.max(den, 1e-30)), nonFinite, ok };
  if (classification) {
    r.top1 = argmax(y);
    r.refTop1 = argmax(ref);
    if (r.top1 !== r.refTop1 && ref[r.refTop1] - ref[r.top1] > bound) ok = false;
    r.ok = ok;
  }
  return r;
}

/**
 * Times `run` after a warm-up of at least `warmupRuns` runs AND `warmupMs` milliseconds,
 * then `runs` timed runs; each run is awaited to completion (output back in CPU memory).
 * With a `deadline` (performance.now() units; --max-job-seconds) the warm-up stops at a third
 * of the time left (after one run) and the timed runs stop at the deadline (after three):
 * `cut` says so.
 */
export async function timeRuns(
  run: () => Promise<unknown>,
  opts: { runs: number; warmupRuns: number; warmupMs: number; deadline?: number },
): Promise<{ times: number[]; warmupRuns: number; warmupMs: number; cut: boolean }> {
  const w0 = performance.now();
  const deadline = opts.deadline ?? Infinity;
  const warmEnd = w0 + (deadline - w0) / 3;
  let warm = 0;
  let cut = false;
  while (warm < opts.warmupRuns || performance.now() - w0 < opts.warmupMs) {
    if (warm >= 1 && performance.now() > warmEnd) {
      cut = true;
      break;
    }
    await run();
    warm++;
  }
  const warmupMs = performance.now() - w0;
  const times: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    if (i >= 3 && performance.now() > deadline) {
      cut = true;
      break;
    }
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return { times, warmupRuns: warm, warmupMs, cut };
}
