/**
 * add(a, b) without an activation, where one operand is a conv2d output read by nothing
 * else and that conv has no residual yet, becomes the conv's `epilogue.residual` (the add's
 * clamp becomes the conv's postClamp). The conv then writes the add's output tensor. The
 * other operand must be produced before that conv (it is read at the conv's position).
 */
import { type Graph, type Node, type Conv2dNode, consumers, mergedOrigin } from '../ir.js';

/** Only the pointwise GEMM kernel has a residual epilogue. */
export const isPointwise = (n: Conv2dNode): boolean =>
  n.kh === 1 && n.kw === 1 && n.groups === 1 && n.strideH === 1 && n.strideW === 1 && n.pad.every((p) => p === 0);

export function fuseResidual(g: Graph): Graph {
  const readers = consumers(g);
  const producer = new Map<string, number>();
  const out: Node[] = [];
  for (const n of g.nodes) {
    if (n.op === 'add' && n.epilogue.act === 'none' && !n.epilogue.clamp && !n.epilogue.residual) {
      let done = false;
      for (const [mine, other] of [[0, 1], [1, 0]] as const) {
        const pi = producer.get(n.inputs[mine]);
        const p = pi === undefined ? undefined : out[pi];
        // the conv moves nothing, so the residual must already exist where the conv runs
        const oi = producer.get(n.inputs[other]);
        const residualReady = oi === undefined || oi < pi!;
        if (p?.op === 'conv2d' && isPointwise(p) && residualReady && !p.epilogue.residual && !p.epilogue.postClamp && readers.get(n.inputs[mine])?.length === 1 && !g.outputs.includes(n.inputs[mine])) {
          out[pi!] = { ...p, output: n.output, origin: mergedOrigin(p, n), epilogue: { ...p.epilogue, residual: n.inputs[other], ...(n.epilogue.postClamp ? { postClamp: n.epilogue.postClamp } : {}) } };
          producer.set(n.output, pi!);
          done = true;
          break;
        }
      }
      if (done) continue;
    }
    producer.set(n.output, out.length);
    out.push(n);
  }
  return { ...g, nodes: out };
}
