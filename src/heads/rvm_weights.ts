/**
 * RVM (Robust Video Matting, TF.js) weights in our native graphs.
 *
 * RVM's encoder is MobileNetV3-Large 1.0 in torchvision's layout with output stride 16
 * (torchvision's dilation rule: the last three bnecks stride 1, depthwise dilation 2), and its
 * LR-ASPP is torchvision's without the classifiers: cbr (1x1 960 -> 128, BN, ReLU) times scale
 * (global average pool, 1x1 960 -> 128 without bias, sigmoid). The TF.js importer
 * (tfjs.ts, preset 'rvm') folds every BatchNorm into its conv (weights OIHW + bias), and
 * lowers the encoder's input normalization `(src - mean) / std` to a per-channel 1x1 conv.
 *
 * `rvmNativeGraph(imported)` builds our native torchvision-form LR-ASPP graph (backbone.* +
 * classifier.*, see heads/segmentation.ts), keeps the nodes up to the 960-channel feature map
 * and the gated 128-channel tensor (`classifier.mul:out`), and fills it from the imported
 * graph: conv nodes are paired in order (same count, kernel, stride, dilation, padding,
 * groups, channels and activation), the folded weights are copied, the folded bias goes to
 * the native BatchNorm's beta, and that BatchNorm becomes an identity scale (gamma 1,
 * mean 0, variance 1 - eps). The input normalization is returned as a per-channel affine
 * (and as the equivalent Preprocess) since the native graph has no such layer.
 * Any structural difference is a ModelFormatError naming the first mismatching pair.
 */
import { nodeInputs, type Act, type Conv2dNode, type Graph, type Node } from '../graph/ir.js';
import type { Preprocess } from '../model/preprocess.js';
import { buildLrasppGraph } from './segmentation.js';
import { ModelFormatError } from '../import/errors.js';

export interface RvmNative {
  /** native graph; outputs [encoder (960 ch, 1/16), lraspp gated tensor (128 ch, 1/16)] */
  graph: Graph;
  /** the encoder's input normalization as y = x * scale + shift per RGB channel (x in 0..1) */
  inputScale: Float32Array;
  inputShift: Float32Array;
  /** `preprocess` giving the normalized input directly from 0..255 pixels */
  preprocess: Preprocess;
  /** conv layers paired */
  convs: number;
}

/** Keeps only the nodes the given outputs need. */
function prune(g: Graph, outputs: string[]): Graph {
  const producer = new Map<string, Node>(g.nodes.map((n) => [n.output, n]));
  const need = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const t = stack.pop()!;
    const n = producer.get(t);
    if (!n || need.has(n.name)) continue;
    need.add(n.name);
    stack.push(...nodeInputs(n));
  }
  return { ...g, outputs, nodes: g.nodes.filter((n) => need.has(n.name)) };
}

/** the activation right after a conv (epilogue, or its only consumer when that is an act node), past a batch_norm */
function actAfter(g: Graph, c: Conv2dNode): Act | 'none' {
  if (c.epilogue.act !== 'none') return c.epilogue.act;
  let t = c.output;
  for (;;) {
    const users = g.nodes.filter((n) => nodeInputs(n).includes(t));
    if (users.length !== 1) return 'none';
    const u = users[0];
    if (u.op === 'batch_norm') {
      t = u.output;
      continue;
    }
    return u.op === 'act' ? u.act : 'none';
  }
}

const describe = (c: Conv2dNode, act: string): string =>
  `${c.name} [${c.outC}, ${c.weight.length / (c.outC * c.kh * c.kw)}, ${c.kh}, ${c.kw}] stride ${c.strideH}x${c.strideW} dilation ${c.dilationH}x${c.dilationW} pad ${c.pad.join(',')} groups ${c.groups} act ${act}`;

export function rvmNativeGraph(imported: Graph, file = 'rvm.json'): RvmNative {
  if (imported.inputs.length !== 1) throw new ModelFormatError(file, `expected one image input, the imported graph has ${imported.inputs.length}`);
  const { h: H, w: W, c: C } = imported.inputs[0].shape;
  if (C !== 3) throw new ModelFormatError(file, `expected an RGB input, got ${C} channels`);
  let src = imported.nodes.filter((n): n is Conv2dNode => n.op === 'conv2d');
  // input normalization: a per-channel 1x1 conv on the graph input
  const first = src[0];
  if (!first || first.input !== imported.inputs[0].name || first.groups !== 3 || first.outC !== 3 || first.kh !== 1 || first.kw !== 1) {
    throw new ModelFormatError(file, `expected the encoder's input normalization (a per-channel 1x1 conv on '${imported.inputs[0].name}') first, got ${first ? first.name : 'no conv'}`);
  }
  const inputScale = Float32Array.from(first.weight);
  const inputShift = first.bias ? Float32Array.from(first.bias) : new Float32Array(3);
  src = src.slice(1);

  const full = buildLrasppGraph({ form: 'torchvision', size: 'large', width: 1, resolution: [H, W], dilated: true, classes: 1 });
  const pool = full.nodes.find((n) => n.name === 'classifier.scale.0');
  if (!pool || pool.op !== 'global_avg_pool') throw new Error('internal: LR-ASPP graph without classifier.scale.0');
  const graph = prune(full, [pool.input, 'classifier.mul:out']);
  graph.name = `rvm_native_mobilenet_v3_large_os16_lraspp_${H}x${W}`;
  const dst = graph.nodes.filter((n): n is Conv2dNode => n.op === 'conv2d');
  if (dst.length !== src.length) {
    throw new ModelFormatError(file, `the imported encoder + LR-ASPP has ${src.length} convs, native MobileNetV3-Large (OS16) + LR-ASPP has ${dst.length}`);
  }
  const bnOf = new Map<string, Node>();
  for (const n of graph.nodes) if (n.op === 'batch_norm') bnOf.set(n.input, n);
  for (let i = 0; i < dst.length; i++) {
    const s = src[i];
    const d = dst[i];
    const sa = actAfter(imported, s);
    const da = actAfter(graph, d);
    const same =
      s.outC === d.outC && s.kh === d.kh && s.kw === d.kw && s.strideH === d.strideH && s.strideW === d.strideW &&
      s.dilationH === d.dilationH && s.dilationW === d.dilationW && s.groups === d.groups && s.weight.length === d.weight.length &&
      s.pad.every((p, j) => p === d.pad[j]) && sa === da && !s.prologue;
    if (!same) throw new ModelFormatError(file, `conv ${i + 1} of ${dst.length} differs: imported ${describe(s, sa)} vs native ${describe(d, da)}`, s.name);
    d.weight = Float32Array.from(s.weight);
    const bn = bnOf.get(d.output);
    if (bn && bn.op === 'batch_norm') {
      const n = d.outC;
      bn.gamma = new Float32Array(n).fill(1);
      bn.beta = s.bias ? Float32Array.from(s.bias) : new Float32Array(n);
      bn.mean = new Float32Array(n);
      bn.variance = new Float32Array(n).fill(1 - bn.eps);
      d.bias = undefined;
    } else if (d.bias) {
      d.bias = s.bias ? Float32Array.from(s.bias) : new Float32Array(d.outC);
    } else if (s.bias && s.bias.some((v) => v !== 0)) {
      throw new ModelFormatError(file, `conv ${i + 1} (${d.name}) has no bias or BatchNorm in the native graph, but the imported one has a bias`, s.name);
    }
  }
  // y = x * scale + shift with x = p / 255  <=>  (p / 255 - mean) / std with std = 1 / scale, mean = -shift / scale
  const preprocess: Preprocess = {
    height: H, width: W, colorOrder: 'rgb', crop: 1,
    mean: [0, 1, 2].map((c) => -inputShift[c] / inputScale[c]) as [number, number, number],
    std: [0, 1, 2].map((c) => 1 / inputScale[c]) as [number, number, number],
  };
  return { graph, inputScale, inputShift, preprocess, convs: dst.length };
}
