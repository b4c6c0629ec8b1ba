/**
 * The builder that turns a resolved variant (variants.ts: the paper's tables and options)
 * into an IR graph with torchvision parameter names, so a torchvision state_dict maps onto
 * it one to one; and the names of its feature taps for the heads.
 */
import type { Act } from '../kernels/spec.js';
import { type Graph, type Node } from './ir.js';
import { inferShapes } from './shapes.js';
import { Rng } from './rng.js';
import { VARIANT_TABLES, type ResolvedVariant, type FeatureTap } from './variants.js';

/**
 * Builds the unfused IR (conv -> batch_norm -> act nodes, SE as pool/fc/fc/scale, residual
 * as add), named after torchvision's state_dict keys. Weights are seeded random with
 * placeholder BN statistics; see `seedWeights` in weights.ts for calibration.
 */
export function buildGraph(v: ResolvedVariant): Graph {
  const rng = new Rng(v.options.seed * 7919 + 17);
  const nodes: Node[] = [];
  const [H, W] = v.options.resolution;
  let cur = 'input';
  let curC = 3;
  const randW = (n: number, fanIn: number): Float32Array => rng.fill(n, -Math.sqrt(3 / fanIn), Math.sqrt(3 / fanIn));

  const convBnAct = (prefix: string, inC: number, outC: number, k: number, stride: number, groups: number, act: Act | null, dilation = 1): void => {
    const pad = Math.floor((k - 1) / 2) * dilation;
    const inPerGroup = inC / groups;
    nodes.push({
      op: 'conv2d', name: `${prefix}.0`, input: cur, output: `${prefix}.0:out`, outC, kh: k, kw: k, strideH: stride, strideW: stride,
      dilationH: dilation, dilationW: dilation, pad: [pad, pad, pad, pad], groups, weight: randW(outC * inPerGroup * k * k, inPerGroup * k * k), epilogue: { act: 'none' },
    });
    nodes.push({
      op: 'batch_norm', name: `${prefix}.1`, input: `${prefix}.0:out`, output: `${prefix}.1:out`, eps: 1e-3,
      gamma: rng.fill(outC, 0.8, 1.2), beta: rng.fill(outC, -0.1, 0.1), mean: new Float32Array(outC), variance: new Float32Array(outC).fill(1),
    });
    cur = `${prefix}.1:out`;
    if (act) {
      nodes.push({ op: 'act', name: `${prefix}.2`, input: cur, output: `${prefix}.2:out`, act });
      cur = `${prefix}.2:out`;
    }
    curC = outC;
  };
  const linear = (name: string, inC: number, outC: number, act: Act | null): void => {
    nodes.push({
      op: 'conv2d', name, input: cur, output: `${name}:out`, outC, kh: 1, kw: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
      pad: [0, 0, 0, 0], groups: 1, weight: randW(outC * inC, inC), bias: rng.fill(outC, -0.1, 0.1), epilogue: { act: 'none' },
    });
    cur = `${name}:out`;
    if (act) {
      nodes.push({ op: 'act', name: `${name}.act`, input: cur, output: `${name}.act:out`, act });
      cur = `${name}.act:out`;
    }
    curC = outC;
  };

  convBnAct('features.0', 3, v.stem, 3, 2, 1, v.stemAct);
  for (const b of v.blocks) {
    const blockIn = cur;
    const p = `features.${b.index}.block`;
    let j = 0;
    if (b.exp !== b.inC) convBnAct(`${p}.${j++}`, curC, b.exp, 1, 1, 1, b.act);
    convBnAct(`${p}.${j++}`, curC, b.exp, b.k, b.stride, b.exp, b.act, b.dilation);
    if (b.se) {
      const s = `${p}.${j++}`;
      const x = cur;
      nodes.push({ op: 'global_avg_pool', name: `${s}.avgpool`, input: x, output: `${s}.avgpool:out` });
      cur = `${s}.avgpool:out`;
      linear(`${s}.fc1`, b.exp, b.squeeze, 'relu');
      linear(`${s}.fc2`, b.squeeze, b.exp, 'hsigmoid');
      nodes.push({ op: 'channel_scale', name: `${s}.scale`, input: x, scale: cur, output: `${s}.scale:out` });
      cur = `${s}.scale:out`;
      curC = b.exp;
    }
    convBnAct(`${p}.${j++}`, curC, b.out, 1, 1, 1, null);
    if (b.residual) {
      nodes.push({ op: 'add', name: `features.${b.index}.add`, inputs: [cur, blockIn], output: `features.${b.index}:out`, epilogue: { act: 'none' } });
      cur = `features.${b.index}:out`;
    }
  }
  convBnAct(`features.${v.blocks.length + 1}`, curC, v.lastConv, 1, 1, 1, v.headAct);
  if (v.options.classifier) {
    nodes.push({ op: 'global_avg_pool', name: 'avgpool', input: cur, output: 'avgpool:out' });
    cur = 'avgpool:out';
    linear('classifier.0', v.lastConv, v.head, v.headAct);
    linear('classifier.3', v.head, v.options.classes, null);
  }
  const outputs = [cur];
  if (v.options.taps.length) {
    const shapes = inferShapes({ name: v.name, inputs: [{ name: 'input', shape: { h: H, w: W, c: 3 } }], outputs: [], nodes });
    const tensors = featureTensors(v);
    for (const t of v.options.taps) {
      // a reshape to the same shape is a free alias (scheduler), so the output carries the tap's name
      nodes.push({ op: 'reshape', name: `tap.${t}`, input: tensors[t], output: t, shape: shapes.get(tensors[t])! });
      outputs.push(t);
    }
  }
  return { name: v.name, inputs: [{ name: 'input', shape: { h: H, w: W, c: 3 } }], outputs, nodes };
}

/** torchvision's stage_indices: [0] + the features indices of stride-2 blocks + [last]. */
export function stageIndices(v: ResolvedVariant): number[] {
  const table = VARIANT_TABLES[v.options.size].blocks;
  return [0, ...table.flatMap((b, i) => (b.stride > 1 ? [i + 1] : [])), v.blocks.length + 1];
}

/** The tensor (in buildGraph's naming) of every feature tap; see FEATURE_TAPS. */
export function featureTensors(v: ResolvedVariant): Record<FeatureTap, string> {
  const stages = stageIndices(v);
  const blockOut = (i: number): string => {
    const b = v.blocks[i - 1];
    return b.residual ? `features.${i}:out` : `features.${i}.block.${(b.exp !== b.inC ? 1 : 0) + (b.se ? 2 : 1)}.1:out`;
  };
  const c4 = stages[stages.length - 2];
  const c4Block = v.blocks[c4 - 1];
  if (c4Block.exp === c4Block.inC) throw new Error(`internal: bneck ${c4} has no expansion conv`);
  // the last block at output stride 8: the one before the third stride-2 block
  const lastOs8 = stages[stages.length - 3] - 1;
  const b8 = v.blocks[lastOs8 - 1];
  return {
    C4: `features.${c4}.block.0.2:out`,
    C5: `features.${stages[stages.length - 1]}.2:out`,
    low: blockOut(stages[stages.length - 4]),
    low_dw: `features.${lastOs8}.block.${b8.exp !== b8.inC ? 1 : 0}.2:out`,
  };
}
