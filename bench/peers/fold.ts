/**
 * What model converters do before a peer ever sees the model, done once on our IR so every
 * peer gets the same graph: conv -> batch_norm folds into the conv's weights and bias
 * (torch.onnx.export in eval mode and tfjs-converter both do this), and a following act
 * becomes the conv's epilogue activation (tfjs-converter's fused conv; a separate node in
 * ONNX). Independent of src/graph/passes on purpose: the peers' models must not depend on
 * our fusion code being right. The input graph is not modified.
 */
import type { Graph, Node, Conv2dNode } from '../../src/graph/ir.js';
import { consumers } from '../../src/graph/ir.js';

export function foldBatchNormForPeers(g: Graph): Graph {
  const uses = consumers(g);
  const sole = (tensor: string): Node | undefined => {
    if (g.outputs.includes(tensor)) return undefined;
    const c = uses.get(tensor) ?? [];
    return c.length === 1 ? c[0] : undefined;
  };
  const absorbed = new Set<Node>();
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    if (absorbed.has(n)) continue;
    if (n.op !== 'conv2d' || n.epilogue.act !== 'none' || n.epilogue.clamp || n.epilogue.residual || n.epilogue.postClamp) {
      nodes.push(n);
      continue;
    }
    let conv: Conv2dNode = n;
    const bn = sole(conv.output);
    if (bn?.op === 'batch_norm') {
      const weight = new Float32Array(conv.weight.length);
      const bias = new Float32Array(conv.outC);
      const per = conv.weight.length / conv.outC;
      for (let o = 0; o < conv.outC; o++) {
        const s = bn.gamma[o] / Math.sqrt(bn.variance[o] + bn.eps);
        for (let i = 0; i < per; i++) weight[o * per + i] = conv.weight[o * per + i] * s;
        bias[o] = ((conv.bias ? conv.bias[o] : 0) - bn.mean[o]) * s + bn.beta[o];
      }
      conv = { ...conv, weight, bias, output: bn.output };
      absorbed.add(bn);
    }
    const act = sole(conv.output);
    if (act?.op === 'act') {
      conv = { ...conv, output: act.output, epilogue: { ...conv.epilogue, act: act.act, clamp: act.clamp } };
      absorbed.add(act);
    }
    nodes.push(conv);
  }
  return { ...g, nodes };
}
