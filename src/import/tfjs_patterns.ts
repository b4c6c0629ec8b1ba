/**
 * Import-time simplification of the TF graph (before lowering): the converters write
 * hard-swish and hard-sigmoid as small subgraphs, which we turn back into single activations
 * so that the passes can fuse them into convolution epilogues.
 *
 *   hard_sigmoid(x) = relu6(x + 3) * c            (c = 1/6: Keras / TF-slim; RealDiv by 6 too)
 *   hard_swish(x)   = (x * c) * relu6(x + 3)      (TF-slim, Keras)
 *                   = (x * relu6(x + 3)) * c
 *                   = x * hard_sigmoid(x)
 *
 * The constant c is kept exactly: the rewritten node computes act(x) * actScale with
 * actScale = 6c. This matters because converters store c in float16 (0.1666259765625, not
 * 1/6), and matching TF.js to 1e-4 needs the same constant; the lowering folds the scale
 * into the consumers' weights where it can. Only subgraphs whose intermediate tensors have
 * no other readers (and are not requested outputs) are rewritten.
 */
import type { TfNode } from './tfjs_format.js';

export interface PatternStats {
  hardSwish: number;
  hardSigmoid: number;
}

const ADDS = ['Add', 'AddV2'];

export function rewriteHardActivations(nodes: Map<string, TfNode>, scalarConst: (ref: string) => number | undefined, protect: Set<string>): PatternStats {
  const stats: PatternStats = { hardSwish: 0, hardSigmoid: 0 };
  let users = dataUsers(nodes);
  const only = (ref: string, user: TfNode): boolean => {
    const u = users.get(ref);
    return !!u && u.length === 1 && u[0] === user.name && !protect.has(ref) && !ref.includes(':');
  };
  /** x when `ref` is relu6(x + 3) read only by `user` */
  const relu6Plus3 = (ref: string, user: TfNode): string | undefined => {
    const r = nodes.get(ref);
    if (!r || r.op !== 'Relu6' || !only(ref, user)) return undefined;
    const a = nodes.get(r.inputs[0]);
    if (!a || !ADDS.includes(a.op) || !only(r.inputs[0], r)) return undefined;
    const [p, q] = a.inputs;
    if (scalarConst(q) === 3) return p;
    if (scalarConst(p) === 3) return q;
    return undefined;
  };
  /** [other operand, scale] when n is Mul by a scalar constant (or RealDiv by one) */
  const scaled = (n: TfNode): [string, number] | undefined => {
    if (n.inputs.length !== 2) return undefined;
    const [p, q] = n.inputs;
    if (n.op === 'Mul') {
      const cq = scalarConst(q);
      if (cq !== undefined && scalarConst(p) === undefined) return [p, cq];
      const cp = scalarConst(p);
      if (cp !== undefined && cq === undefined) return [q, cp];
    }
    if (n.op === 'RealDiv') {
      const cq = scalarConst(q);
      if (cq !== undefined && cq !== 0) return [p, 1 / cq];
    }
    return undefined;
  };
  const replace = (n: TfNode, op: '_HardSwish' | '_HardSigmoid', x: string, c: number): void => {
    nodes.set(n.name, { name: n.name, op, inputs: [x], controls: n.controls, attr: {}, actScale: 6 * c });
    if (op === '_HardSwish') stats.hardSwish++;
    else stats.hardSigmoid++;
  };

  // 1. hard-sigmoid: relu6(x + 3) * c
  for (const n of [...nodes.values()]) {
    const s = scaled(n);
    if (!s) continue;
    const x = relu6Plus3(s[0], n);
    if (x !== undefined) replace(n, '_HardSigmoid', x, s[1]);
  }
  users = dataUsers(nodes);
  // 2. hard-swish
  for (const n of [...nodes.values()]) {
    if (n.op === 'Mul' && n.inputs.length === 2) {
      const [p, q] = n.inputs;
      let done = false;
      // (x * c) * relu6(x + 3), either order
      for (const [m, r] of [[p, q], [q, p]]) {
        const mn = nodes.get(m);
        const s = mn && only(m, n) ? scaled(mn) : undefined;
        if (!s) continue;
        const x = relu6Plus3(r, n);
        if (x !== undefined && x === s[0]) {
          replace(n, '_HardSwish', x, s[1]);
          done = true;
          break;
        }
      }
      if (done) continue;
      // x * hard_sigmoid(x)
      for (const [x, h] of [[p, q], [q, p]]) {
        const hn = nodes.get(h);
        if (hn?.op === '_HardSigmoid' && hn.inputs[0] === x && only(h, n)) {
          replace(n, '_HardSwish', x, hn.actScale! / 6);
          stats.hardSigmoid--;
          done = true;
          break;
        }
      }
      if (done) continue;
    }
    // (x * relu6(x + 3)) * c
    const s = scaled(n);
    const pn = s ? nodes.get(s[0]) : undefined;
    if (s && pn?.op === 'Mul' && only(s[0], n) && pn.inputs.length === 2) {
      const [a, b] = pn.inputs;
      for (const [x, r] of [[a, b], [b, a]]) {
        if (relu6Plus3(r, pn) === x) {
          replace(n, '_HardSwish', x, s[1]);
          break;
        }
      }
    }
  }
  return stats;
}

/** data reader node names of every tensor ref (control inputs excluded) */
export function dataUsers(nodes: Map<string, TfNode>): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const n of nodes.values()) for (const r of n.inputs) m.set(r, [...(m.get(r) ?? []), n.name]);
  return m;
}
