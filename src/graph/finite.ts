/**
 * Non-finite value checks for weights and inputs. A NaN or Inf in a weight or in the input
 * tensor turns every output into NaN (and a classifier's top-1 into class 0) without any
 * error, so the runtime rejects them up front and names where they are.
 */
import type { Graph } from './ir.js';

/** Index of the first NaN / +-Inf in `a`, or -1. */
export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    // v - v is 0 for finite v and NaN for NaN and +-Inf
    if (v - v !== 0) return i;
  }
  return -1;
}

export interface NonFiniteWeight {
  node: string;
  /** field path inside the node, e.g. 'weight', 'fc1.bias', 'variance' */
  field: string;
  index: number;
  value: number;
}

/**
 * The first non-finite learned parameter of the graph (conv / conv_transpose weight and
 * bias, batch-norm statistics, squeeze-excite FC weights), or null. Constants are not
 * checked: a constant may hold -Inf on purpose (e.g. a max-pool padding value).
 */
export function findNonFiniteWeight(g: Graph): NonFiniteWeight | null {
  for (const n of g.nodes) {
    const fields: [string, Float32Array | undefined][] = [];
    if (n.op === 'conv2d' || n.op === 'conv_transpose') fields.push(['weight', n.weight], ['bias', n.bias]);
    else if (n.op === 'batch_norm') fields.push(['gamma', n.gamma], ['beta', n.beta], ['mean', n.mean], ['variance', n.variance]);
    else if (n.op === 'squeeze_excite') fields.push(['fc1.weight', n.fc1.weight], ['fc1.bias', n.fc1.bias], ['fc2.weight', n.fc2.weight], ['fc2.bias', n.fc2.bias]);
    for (const [field, a] of fields) {
      if (!a) continue;
      const i = firstNonFinite(a);
      if (i >= 0) return { node: n.name, field, index: i, value: a[i] };
    }
  }
  return null;
}
