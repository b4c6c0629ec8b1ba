/**
 * Interval and epilogue algebra for the TFLite importer: value intervals through activations
 * and products, clamps moved through monotone activations, and the final normalisation of
 * epilogues into the forms the passes and kernels recognise (relu, relu6, hard-sigmoid).
 */
import type { Node, Act } from '../graph/ir.js';
import { NO_CLAMP } from '../kernels/spec.js';
import { refAct } from '../graph/reference_ops.js';

export type Interval = [number, number];
export const ALL: Interval = [-Infinity, Infinity];

export const intersect = (a: Interval, b: Interval): Interval => [Math.max(a[0], b[0]), Math.min(a[1], b[1])];
export const hull = (a: Interval, b: Interval): Interval => [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
export const contains = (outer: Interval, inner: Interval): boolean => outer[0] <= inner[0] && outer[1] >= inner[1];

export function actRange(act: Act): Interval {
  switch (act) {
    case 'relu':
      return [0, Infinity];
    case 'relu6':
      return [0, 6];
    case 'hswish':
      return [-0.375, Infinity];
    case 'hsigmoid':
    case 'sigmoid':
      return [0, 1];
    default:
      return ALL;
  }
}

/** image of an interval under an activation */
export function actOf(act: Act, k: Interval): Interval {
  const a = refAct(act, k[0]);
  const b = refAct(act, k[1]);
  if (act === 'hswish' && k[0] < -1.5 && k[1] > -1.5) return [-0.375, Math.max(a, b)];
  return [Math.min(a, b), Math.max(a, b)];
}

/** interval product (NaN corners from 0*inf count as 0) */
export function mulRange(a: Interval, b: Interval): Interval {
  const c = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]].map((v) => (Number.isNaN(v) ? 0 : v));
  return [Math.min(...c), Math.max(...c)];
}

/** f(clamp(x, c)) as clamp(f(x), c'), or null when that is not exact */
export function clampThroughAct(act: Act, c: Interval): Interval | null {
  if (act === 'hswish') {
    if (c[0] > -3 || c[1] < 0) return null;
    return [-Infinity, refAct('hswish', c[1])];
  }
  return [refAct(act, c[0]), refAct(act, c[1])];
}

/** snaps a clamp bound onto the kinks 0, 1, 6 when within float noise of them */
export const snap = (v: number): number => {
  for (const k of [0, 1, 6, -1]) if (Math.abs(v - k) <= 1e-4) return k;
  return v;
};

const fin = (c: Interval): [number, number] => [Math.max(c[0], -NO_CLAMP), Math.min(c[1], NO_CLAMP)];

/** Drops clamp sides the activation already implies and writes relu / relu6 / hsigmoid forms. */
function normalizeActClamp(act: Act, clamp: Interval | undefined): { act: Act; clamp?: Interval } {
  if (!clamp) return { act };
  if (act === 'none' && clamp[0] === 0) act = clamp[1] === 6 ? 'relu6' : 'relu';
  const r = actRange(act);
  const c: Interval = [clamp[0] <= r[0] ? -Infinity : clamp[0], clamp[1] >= r[1] ? Infinity : clamp[1]];
  return c[0] === -Infinity && c[1] === Infinity ? { act } : { act, clamp: c };
}

/** Final form of a node's clamps: implied sides dropped, relu / relu6 / hsigmoid written, finite bounds. */
export function normalize(n: Node): void {
  switch (n.op) {
    case 'conv2d':
    case 'conv_transpose': {
      const e = n.epilogue;
      const c = e.clamp;
      if (e.act === 'none' && c && c[0] === 0 && c[1] === 1) {
        // clamp(y, 0, 1) == hsigmoid(6y - 3): the hard-sigmoid of SE blocks
        const w = new Float32Array(n.weight.length);
        for (let i = 0; i < w.length; i++) w[i] = n.weight[i] * 6;
        const b = new Float32Array(n.outC);
        for (let o = 0; o < b.length; o++) b[o] = (n.bias ? n.bias[o] : 0) * 6 - 3;
        n.weight = w;
        n.bias = b;
        n.epilogue = { act: 'hsigmoid' };
        return;
      }
      const r = normalizeActClamp(e.act, c);
      n.epilogue = r.clamp ? { act: r.act, clamp: fin(r.clamp) } : { act: r.act };
      return;
    }
    case 'act': {
      const r = normalizeActClamp(n.act, n.clamp);
      n.act = r.act;
      if (r.clamp) n.clamp = fin(r.clamp);
      else delete n.clamp;
      return;
    }
    case 'add': {
      const e = n.epilogue;
      const r = normalizeActClamp(e.act, e.clamp);
      const pc = e.postClamp;
      n.epilogue = { act: r.act, ...(r.clamp ? { clamp: fin(r.clamp) } : {}), ...(pc && (pc[0] > -Infinity || pc[1] < Infinity) ? { postClamp: fin(pc) } : {}) };
      return;
    }
    case 'binary':
      if (n.epilogue.clamp) n.epilogue.clamp = fin(n.epilogue.clamp);
      return;
    default:
      return;
  }
}
