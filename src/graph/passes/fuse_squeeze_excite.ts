/**
 * Squeeze-and-excite fusion (DESIGN.md section 5):
 * 1. global_avg_pool(x) -> 1x1 conv (+act) -> 1x1 conv (+act) becomes one squeeze_excite
 *    node producing the 1x1xC scale s (one small dispatch);
 * 2. channel_scale(x, s) read only by a dense 1x1 stride-1 conv becomes that conv's
 *    `prologue.seScale`, so the gating multiply costs no dispatch and no memory round trip.
 * Run after fuseActivations (the FC activations must already sit in the conv epilogues).
 */
import { type Graph, type Node, type Conv2dNode, consumers, inferShapes, mergedOrigin } from '../ir.js';
import { SE_MAX_C4, SE_MAX_SQ4 } from '../../kernels/squeeze_excite.js';
import { isPointwise } from './fuse_residual.js';

const isFc = (n: Node | undefined): n is Conv2dNode =>
  n?.op === 'conv2d' && n.kh === 1 && n.kw === 1 && n.groups === 1 && !n.prologue && !n.epilogue.residual && !n.epilogue.clamp && !n.epilogue.postClamp;

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
    const fc1 = only(n.output);
    const fc2 = fc1 && only(fc1.output);
    if (!isFc(fc1) || !isFc(fc2)) continue;
    const c = shapes.get(n.input)!.c;
    if (fc2.outC !== c || Math.ceil(c / 4) > SE_MAX_C4 || Math.ceil(fc1.outC / 4) > SE_MAX_SQ4) continue;
    const se: Node = {
      op: 'squeeze_excite', origin: mergedOrigin(n, fc1, fc2), name: `${fc1.name.replace(/\.fc1$/, '')}#se`, input: n.input, output: fc2.output, squeeze: fc1.outC,
      fc1: { weight: fc1.weight, bias: fc1.bias ?? new Float32Array(fc1.outC), act: fc1.epilogue.act },
      fc2: { weight: fc2.weight, bias: fc2.bias ?? new Float32Array(c), act: fc2.epilogue.act },
    };
    replaced.set(n, se);
    removed.add(fc1).add(fc2);
  }
  const nodes = g.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  // step 2: fold channel_scale into the following 1x1 conv's prologue
  const r2 = consumers({ ...g, nodes });
  const drop = new Set<Node>();
  const fusedConv = new Map<Node, Conv2dNode>();
  for (const n of nodes) {
    if (n.op !== 'channel_scale') continue;
    const rs = r2.get(n.output);
    const next = rs?.length === 1 && !g.outputs.includes(n.output) ? rs[0] : undefined;
    // only the pointwise kernel has the seScale prologue (a padded 1x1 conv runs on conv2d)
    if (next?.op === 'conv2d' && isPointwise(next) && !next.prologue) {
      fusedConv.set(next, { ...next, input: n.input, prologue: { seScale: n.scale }, origin: mergedOrigin(n, next) });
      drop.add(n);
    }
  }
  return { ...g, nodes: nodes.filter((n) => !drop.has(n)).map((n) => fusedConv.get(n) ?? n) };
}
