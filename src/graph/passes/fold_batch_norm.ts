/**
 * Folds batch_norm into the conv that produces its input (when the conv output has no other
 * reader and no epilogue yet): w' = w * g/sqrt(v+eps), b' = (b - mean) * g/sqrt(v+eps) + beta.
 * A batch_norm that cannot fold becomes a 1x1 depthwise conv with the same affine map.
 */
import { type Graph, type Node, type Conv2dNode, consumers, mergedOrigin } from '../ir.js';
import { inferShapes } from '../shapes.js';

export function foldBatchNorm(g: Graph): Graph {
  const readers = consumers(g);
  const shapes = inferShapes(g);
  const producer = new Map<string, Node>();
  const out: Node[] = [];
  for (const n of g.nodes) {
    if (n.op === 'batch_norm') {
      const p = producer.get(n.input);
      const foldable =
        p?.op === 'conv2d' && (readers.get(n.input)?.length ?? 0) === 1 && !g.outputs.includes(n.input) &&
        p.epilogue.act === 'none' && !p.epilogue.clamp && !p.epilogue.residual && !p.epilogue.postClamp;
      const c = n.gamma.length;
      const k = new Float32Array(c);
      for (let i = 0; i < c; i++) k[i] = n.gamma[i] / Math.sqrt(n.variance[i] + n.eps);
      if (foldable) {
        const conv = p as Conv2dNode;
        const per = conv.weight.length / conv.outC;
        const weight = new Float32Array(conv.weight.length);
        for (let o = 0; o < conv.outC; o++) for (let i = 0; i < per; i++) weight[o * per + i] = conv.weight[o * per + i] * k[o];
        const bias = new Float32Array(c);
        for (let o = 0; o < c; o++) bias[o] = ((conv.bias ? conv.bias[o] : 0) - n.mean[o]) * k[o] + n.beta[o];
        const folded: Conv2dNode = { ...conv, weight, bias, output: n.output, origin: mergedOrigin(conv, n) };
        out[out.indexOf(conv)] = folded;
        producer.set(n.output, folded);
        continue;
      }
      const bias = new Float32Array(c);
      for (let o = 0; o < c; o++) bias[o] = n.beta[o] - n.mean[o] * k[o];
      const dw: Conv2dNode = {
        op: 'conv2d', name: n.name, input: n.input, output: n.output, outC: shapes.get(n.input)!.c, kh: 1, kw: 1, strideH: 1, strideW: 1,
        dilationH: 1, dilationW: 1, pad: [0, 0, 0, 0], groups: c, weight: k, bias, epilogue: { act: 'none' },
      };
      out.push(dw);
      producer.set(n.output, dw);
      continue;
    }
    out.push(n);
    producer.set(n.output, n);
  }
  return { ...g, nodes: out };
}
