/**
 * Moves an `act` node into the epilogue of the conv2d or add that produces its input, when
 * that producer's output has no other reader and its epilogue has no activation, clamp or
 * residual yet (the epilogue order is act -> clamp -> residual -> postClamp).
 */
import { type Graph, type Node, consumers, mergedOrigin } from '../ir.js';

export function fuseActivations(g: Graph): Graph {
  const readers = consumers(g);
  const producer = new Map<string, number>();
  const out: Node[] = [];
  for (const n of g.nodes) {
    if (n.op === 'act') {
      const pi = producer.get(n.input);
      const p = pi === undefined ? undefined : out[pi];
      if (
        p && (p.op === 'conv2d' || p.op === 'add') && readers.get(n.input)?.length === 1 && !g.outputs.includes(n.input) &&
        p.epilogue.act === 'none' && !p.epilogue.clamp && !p.epilogue.residual && !p.epilogue.postClamp
      ) {
        const fused: Node = { ...p, output: n.output, epilogue: { ...p.epilogue, act: n.act, clamp: n.clamp }, origin: mergedOrigin(p, n) };
        if (!n.clamp) delete (fused.epilogue as { clamp?: unknown }).clamp;
        out[pi!] = fused;
        producer.set(n.output, pi!);
        continue;
      }
    }
    producer.set(n.output, out.length);
    out.push(n);
  }
  return { ...g, nodes: out };
}
