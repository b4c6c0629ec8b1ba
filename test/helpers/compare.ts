/**
 * Test helpers for whole-model comparisons: an element-wise tolerance check that reports the
 * worst element, and the relative L2 error. Both take the reference as the second argument.
 */
import { Rng } from '../../src/graph/rng.js';

export interface Comparison {
  /** number of elements with |a - ref| > atol + rtol * |ref| */
  violations: number;
  /** index, value and reference of the worst element (largest |d| / (atol + rtol|ref|)) */
  worst: { index: number; got: number; ref: number; ratio: number };
  maxAbs: number;
  relL2: number;
  /** max |ref|, to make sure the comparison is not against all zeros */
  refMaxAbs: number;
}

export function compare(got: ArrayLike<number>, ref: ArrayLike<number>, atol: number, rtol: number): Comparison {
  if (got.length !== ref.length) throw new Error(`compare: lengths differ (${got.length} vs ${ref.length})`);
  let violations = 0;
  let worst = { index: -1, got: 0, ref: 0, ratio: 0 };
  let maxAbs = 0;
  let d2 = 0;
  let r2 = 0;
  let refMaxAbs = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = got[i];
    const r = ref[i];
    const d = Math.abs(a - r);
    const tol = atol + rtol * Math.abs(r);
    // NaN in `got` must count as a violation
    if (!(d <= tol)) violations++;
    const ratio = Number.isNaN(d) ? Infinity : d / tol;
    if (ratio > worst.ratio || worst.index < 0) worst = { index: i, got: a, ref: r, ratio };
    maxAbs = Math.max(maxAbs, Number.isNaN(d) ? Infinity : d);
    d2 += (a - r) * (a - r);
    r2 += r * r;
    refMaxAbs = Math.max(refMaxAbs, Math.abs(r));
  }
  return { violations, worst, maxAbs, relL2: r2 === 0 ? (d2 === 0 ? 0 : Infinity) : Math.sqrt(d2 / r2), refMaxAbs };
}

/** Index of the largest value (first one on ties). */
export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/** Seeded uniform [-1, 1) NHWC input. */
export function seededInput(seed: number, h: number, w: number, c = 3): Float32Array {
  return new Rng(seed).fill(h * w * c, -1, 1);
}
