/** Parameter and MAC counts on the IR, with the spec's conventions (section 0.2). */
import { type Graph, unreachable } from './ir.js';
import { inferShapes } from './shapes.js';

export interface NodeCount {
  node: string;
  op: string;
  params: number;
  macs: number;
}

/**
 * Trainable parameters (conv/linear weights and biases, BN gamma and beta; not BN running
 * statistics) and MACs of convs and linears only (no BN, activations, pooling, SE multiply,
 * adds), exactly as the spec's acceptance tables count them.
 */
export function countGraph(g: Graph): { params: number; macs: number; perNode: NodeCount[] } {
  const shapes = inferShapes(g);
  const perNode: NodeCount[] = [];
  for (const n of g.nodes) {
    let params = 0;
    let macs = 0;
    switch (n.op) {
      case 'conv2d': {
        const out = shapes.get(n.output)!;
        params = n.weight.length + (n.bias?.length ?? 0);
        const inPerGroup = shapes.get(n.input)!.c / n.groups;
        macs = out.h * out.w * out.c * inPerGroup * n.kh * n.kw;
        break;
      }
      case 'batch_norm':
        params = n.gamma.length + n.beta.length;
        break;
      case 'squeeze_excite':
        params = n.fc1.weight.length + n.fc1.bias.length + n.fc2.weight.length + n.fc2.bias.length;
        macs = n.fc1.weight.length + n.fc2.weight.length;
        break;
      case 'conv_transpose': {
        const x = shapes.get(n.input)!;
        params = n.weight.length + (n.bias?.length ?? 0);
        macs = x.h * x.w * x.c * n.outC * n.kh * n.kw;
        break;
      }
      case 'constant':
      case 'binary':
      case 'resize':
      case 'concat':
      case 'pad':
      case 'pool2d':
      case 'softmax':
      case 'argmax':
      case 'ssd_decode':
      case 'act':
      case 'add':
      case 'channel_scale':
      case 'global_avg_pool':
      case 'reshape':
        break;
      default:
        unreachable(n, 'op');
    }
    perNode.push({ node: n.name, op: n.op, params, macs });
  }
  return {
    params: perNode.reduce((s, c) => s + c.params, 0),
    macs: perNode.reduce((s, c) => s + c.macs, 0),
    perNode,
  };
}
