/**
 * Squeeze-and-excite fusion (DESIGN.md section 5):
 * 1. global_avg_pool(x) [-> clamp] -> 1x1 conv (+act, +clamp) -> 1x1 conv (+act, +clamp) becomes
 *    one squeeze_excite node producing the 1x1xC scale s (one small dispatch). The optional
 *    clamp after the pool is an `act` node that is a pure clamp (act none / relu / relu6 with
 *    an optional clamp); it becomes `poolClamp`, the FC convs' epilogue clamps `fc.clamp`.
 * 2. channel_scale(x, s), or a `binary` mul x * s by a 1x1xC tensor whose epilogue is a pure
 *    clamp, read only by a dense 1x1 stride-1 conv becomes that conv's `prologue.seScale`
 *    (and `prologue.clamp`), so the gating multiply costs no dispatch and no memory round trip.
 * The clamps are quantized output ranges: TFLite uint8 files put one on the pooled mean, each
 * FC output and the gated product x * s. Every rewrite is exact.
 * Run after fuseActivations (the FC activations must already sit in the conv epilogues).
 */
import { type Graph, type Node, type Conv2dNode, type Act, type TensorShape, consumers, mergedOrigin } from '../ir.js';
import { inferShapes } from '../shapes.js';
import { NO_CLAMP } from '../../kernels/spec.js';
import { SE_MAX_C4, SE_MAX_SQ4 } from '../../kernels/squeeze_excite.js';
import { isPointwise } from './fuse_residual.js';

const isFc = (n: Node | undefined): n is Conv2dNode =>
  n?.op === 'conv2d' && n.kh === 1 && n.kw === 1 && n.groups === 1 && !n.prologue && !n.epilogue.residual && !n.epilogue.postClamp;

/**
 * clamp(act(x), c) as one clamp(x, lo, hi) when that is exact: act none, relu (a floor at 0) or
 * relu6 ([0, 6]). undefined: no clamp at all (identity); null: not a pure clamp. Bounds are
 * finite (+-NO_CLAMP for an open side).
 */
export function pureClamp(act: Act, c: [number, number] | undefined): [number, number] | undefined | null {
  let lo = c ? c[0] : -Infinity;
  let hi = c ? c[1] : Infinity;
  if (act === 'relu' || act === 'relu6') {
    // clamp(max(x, 0), lo, hi) == clamp(x, max(lo, 0), hi); relu6 also caps at 6
    lo = Math.max(lo, 0);
    if (act === 'relu6') hi = Math.min(hi, 6);
  } else if (act !== 'none') {
    return null;
  }
  if (!(lo <= hi)) return null;
  if (lo === -Infinity && hi === Infinity) return undefined;
  return [Math.max(lo, -NO_CLAMP), Math.min(hi, NO_CLAMP)];
}

const withClamp = (c: [number, number] | undefined): { clamp?: [number, number] } => (c ? { clamp: c } : {});

export function fuseSqueezeExcite(g: Graph): Graph {
  const shapes = inferShapes(g);
  const readers = consumers(g);
  const only = (t: string): Node | undefined => {
    const r = readers.get(t);
    return r && r.length === 1 && !g.outputs.includes(t) ? r[0] : undefined;
  };
  const removed = new Set<Node>();
  const replaced = new Map<Node, Node>();
  for (const n of g.nodes) {
    if (n.op !== 'global_avg_pool') continue;
    // an optional clamp of the pooled mean
    let next = only(n.output);
    let poolAct: Node | undefined;
    let poolClamp: [number, number] | undefined;
    if (next?.op === 'act') {
      const c = pureClamp(next.act, next.clamp);
      if (c === null) continue;
      poolAct = next;
      poolClamp = c;
      next = only(next.output);
    }
    const fc1 = next;
    const fc2 = fc1 && only(fc1.output);
    if (!isFc(fc1) || !isFc(fc2)) continue;
    const c = shapes.get(n.input)!.c;
    if (fc2.outC !== c || Math.ceil(c / 4) > SE_MAX_C4 || Math.ceil(fc1.outC / 4) > SE_MAX_SQ4) continue;
    const se: Node = {
      op: 'squeeze_excite', origin: mergedOrigin(n, ...(poolAct ? [poolAct] : []), fc1, fc2), name: `${fc1.name.replace(/\.fc1$/, '')}#se`, input: n.input, output: fc2.output, squeeze: fc1.outC,
      ...(poolClamp ? { poolClamp } : {}),
      fc1: { weight: fc1.weight, bias: fc1.bias ?? new Float32Array(fc1.outC), act: fc1.epilogue.act, ...withClamp(fc1.epilogue.clamp) },
      fc2: { weight: fc2.weight, bias: fc2.bias ?? new Float32Array(c), act: fc2.epilogue.act, ...withClamp(fc2.epilogue.clamp) },
    };
    replaced.set(n, se);
    removed.add(fc1).add(fc2);
    if (poolAct) removed.add(poolAct);
  }
  const nodes = g.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  // step 2: fold the gating multiply into the following 1x1 conv's prologue
  const r2 = consumers({ ...g, nodes });
  const drop = new Set<Node>();
  const fusedConv = new Map<Node, Conv2dNode>();
  for (const n of nodes) {
    const gate = gateOf(n, shapes);
    if (!gate) continue;
    const rs = r2.get(n.output);
    const next = rs?.length === 1 && !g.outputs.includes(n.output) ? rs[0] : undefined;
    // only the pointwise kernel has the seScale prologue (a padded 1x1 conv runs on conv2d)
    if (next?.op === 'conv2d' && isPointwise(next) && !next.prologue && next.input === n.output) {
      fusedConv.set(next, { ...next, input: gate.input, prologue: { seScale: gate.scale, ...withClamp(gate.clamp) }, origin: mergedOrigin(n, next) });
      drop.add(n);
    }
  }
  return { ...g, nodes: nodes.filter((n) => !drop.has(n)).map((n) => fusedConv.get(n) ?? n) };
}

/** x * s (s 1x1xC, per channel) with at most a clamp after it: channel_scale, or such a binary mul. */
function gateOf(n: Node, shapes: Map<string, TensorShape>): { input: string; scale: string; clamp?: [number, number] } | undefined {
  if (n.op === 'channel_scale') return { input: n.input, scale: n.scale };
  if (n.op !== 'binary' || n.kind !== 'mul' || n.epilogue.residual || n.epilogue.postClamp) return undefined;
  const [a, b] = n.inputs;
  const sa = shapes.get(a)!;
  const sb = shapes.get(b)!;
  if (sb.h !== 1 || sb.w !== 1 || sb.c !== sa.c) return undefined;
  const clamp = pureClamp(n.epilogue.act, n.epilogue.clamp);
  if (clamp === null) return undefined;
  return { input: a, scale: b, ...withClamp(clamp) };
}
