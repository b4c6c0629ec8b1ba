/**
 * The graph IR: a list of ops on NHWC tensors (batch 1). Tensors are named; shapes are
 * {h, w, c} with the *logical* channel count (padding to 4 is the scheduler's business).
 *
 * Fusions are attributes on nodes, never new op names (DESIGN.md section 2):
 * - conv2d.prologue.seScale: the input is multiplied per channel by a 1x1xC scale tensor
 *   (then clamped to prologue.clamp when given: a quantized gating multiply's output range)
 * - conv2d/add epilogue: act, clamp, residual (added after act and clamp), postClamp
 * The one exception is `squeeze_excite`, the fused form of pool (+clamp) -> fc1 -> fc2 that
 * the SE pass produces; its fields are exactly those of the ops it replaces.
 */
import type { Act } from '../kernels/spec.js';

export type { Act };

export interface TensorShape {
  readonly h: number;
  readonly w: number;
  readonly c: number;
}

export interface Epilogue {
  act: Act;
  /** clamp after the activation (e.g. a quantized op's output range) */
  clamp?: [number, number];
  /** tensor added after act/clamp (residual connection) */
  residual?: string;
  /** clamp after the residual add */
  postClamp?: [number, number];
}

export interface Conv2dNode {
  op: 'conv2d';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  input: string;
  output: string;
  outC: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  /** [top, left, bottom, right] */
  pad: [number, number, number, number];
  /** 1 (dense) or inC (depthwise, then outC == inC) */
  groups: number;
  /** OIHW: [outC][inC/groups][kh][kw] */
  weight: Float32Array;
  bias?: Float32Array;
  /**
   * x' = x * seScale per input channel, then clamp(x', clamp[0], clamp[1]) when clamp is given
   * (TFLite's quantized range of the gating multiply), as the conv reads its input
   */
  prologue?: { seScale: string; clamp?: [number, number] };
  epilogue: Epilogue;
}

export interface BatchNormNode {
  op: 'batch_norm';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  input: string;
  output: string;
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  eps: number;
}

export interface ActNode {
  op: 'act';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  input: string;
  output: string;
  act: Act;
  clamp?: [number, number];
}

export interface AddNode {
  op: 'add';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  inputs: [string, string];
  output: string;
  epilogue: Epilogue;
}

/** x * s, s of shape 1x1xC broadcast over pixels (the SE gating multiply) */
export interface ChannelScaleNode {
  op: 'channel_scale';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  input: string;
  scale: string;
  output: string;
}

export interface GlobalAvgPoolNode {
  op: 'global_avg_pool';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  input: string;
  output: string;
}

export interface FcParams {
  /** [outC][inC] */
  weight: Float32Array;
  bias: Float32Array;
  act: Act;
  /** clamp after the activation (a quantized FC output range) */
  clamp?: [number, number];
}

/**
 * Fused pool (-> poolClamp) -> fc1 -> act1 (-> clamp1) -> fc2 -> act2 (-> clamp2): output is the
 * 1x1xC scale vector.
 */
export interface SqueezeExciteNode {
  op: 'squeeze_excite';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  input: string;
  output: string;
  squeeze: number;
  /** clamp of the pooled mean (a quantized pool output range) */
  poolClamp?: [number, number];
  fc1: FcParams;
  fc2: FcParams;
}

/** Changes only the logical shape (e.g. flatten of a 1x1xC map); data is shared. */
export interface ReshapeNode {
  op: 'reshape';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  input: string;
  output: string;
  shape: TensorShape;
}


/** A constant tensor (weights used as data: scalars, per-channel vectors, anchors). */
export interface ConstantNode {
  op: 'constant';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  output: string;
  shape: TensorShape;
  /** NHWC, h*w*c values */
  data: Float32Array;
}

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';

/**
 * Elementwise a (op) b with broadcasting of b: b is the same shape as a, 1x1xC (per
 * channel) or 1x1x1 (scalar). Importers emit this; the canonicalize pass turns the common
 * cases into add / channel_scale / a 1x1 depthwise conv (constant operand).
 */
export interface BinaryNode {
  op: 'binary';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  kind: BinaryOp;
  inputs: [string, string];
  output: string;
  epilogue: Epilogue;
}

export type ResizeCoord = 'half_pixel' | 'align_corners' | 'asymmetric' | 'pytorch_half_pixel';

/** Spatial resize (channels unchanged). */
export interface ResizeNode {
  op: 'resize';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  input: string;
  output: string;
  outH: number;
  outW: number;
  mode: 'bilinear' | 'nearest';
  coord: ResizeCoord;
  /**
   * nearest only: how the source coordinate becomes a pixel index (default 'floor').
   * ONNX Resize rounds (round_prefer_floor by default), e.g. Paddle's align_corners nearest.
   */
  nearestMode?: NearestMode;
}

export type NearestMode = 'floor' | 'round_prefer_floor' | 'round_prefer_ceil' | 'ceil';

/** Concatenation along channels (NHWC axis 3). */
export interface ConcatNode {
  op: 'concat';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  inputs: string[];
  output: string;
}

/** Spatial zero (or constant) padding [top, left, bottom, right]. */
export interface PadNode {
  op: 'pad';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  input: string;
  output: string;
  pad: [number, number, number, number];
  value: number;
}

/** Max or average pooling with a window (global pooling is global_avg_pool). */
export interface Pool2dNode {
  op: 'pool2d';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  kind: 'max' | 'avg';
  input: string;
  output: string;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  pad: [number, number, number, number];
  /** avg only: divide by the full window (true) or by the valid taps (false, TF/TFLite) */
  countIncludePad: boolean;
}

/** Softmax over channels at every pixel. */
export interface SoftmaxNode {
  op: 'softmax';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  input: string;
  output: string;
}

/** Transposed convolution (dense). weight: [inC][outC][kh][kw] (ONNX/PyTorch layout). */
export interface ConvTransposeNode {
  op: 'conv_transpose';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  input: string;
  output: string;
  outC: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  /** [top, left, bottom, right] cropped from the full transposed output */
  pad: [number, number, number, number];
  /** extra rows/cols at the bottom/right (ONNX output_padding) */
  outputPadding: [number, number];
  weight: Float32Array;
  bias?: Float32Array;
  epilogue: Epilogue;
}

/** Index of the largest channel at every pixel, as a float (1 channel). */
export interface ArgmaxNode {
  op: 'argmax';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  input: string;
  output: string;
}

/**
 * SSD box decoding and score thresholding into a compact candidate list (detection heads).
 * Inputs: per feature map i (N maps) the class-logit map (H_i x W_i x A_i*K) and then the
 * box-regression map (H_i x W_i x A_i*4): [cls_0..cls_{N-1}, box_0..box_{N-1}]; anchor order is
 * (map, y, x, anchor), the NHWC order of the maps. Output: (maxCandidates + 1) x 1 x 8; row 0 is
 * the header (total candidate count before truncation, capacity, 0...), each following row one
 * candidate: normalized corners (x1, y1, x2, y2) clipped to [0, 1], then (score, class, anchor
 * index, 0). Rows past min(count, capacity) are unspecified; the row order is unspecified.
 */
export interface SsdDecodeNode {
  op: 'ssd_decode';
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  inputs: string[];
  output: string;
  /** anchors as (cx, cy, w, h) normalized to the input size, 4 values each, in anchor order */
  anchors: Float32Array;
  /** anchors per location of each map */
  anchorsPerLocation: number[];
  /** class columns per anchor (including background) */
  numClasses: number;
  /** first class that is reported (1 when index 0 is background) */
  firstClass: number;
  score: 'softmax' | 'sigmoid';
  /** code order: (dx, dy, dw, dh) torchvision or (dy, dx, dh, dw) TF OD */
  codeOrder: 'xywh' | 'yxhw';
  /** box coder scale factors of the center and size codes (10 and 5 for both forms) */
  centerScale: number;
  sizeScale: number;
  /** dw, dh are clamped to at most this before exp (torchvision log(1000/16); TF none) */
  maxLogScale: number;
  /** a (class, anchor) pair is a candidate iff score > scoreThreshold */
  scoreThreshold: number;
  maxCandidates: number;
}

export type Node =
  | Conv2dNode
  | BatchNormNode
  | ActNode
  | AddNode
  | ChannelScaleNode
  | GlobalAvgPoolNode
  | SqueezeExciteNode
  | ReshapeNode
  | ConstantNode
  | BinaryNode
  | ResizeNode
  | ConcatNode
  | PadNode
  | Pool2dNode
  | SoftmaxNode
  | ConvTransposeNode
  | ArgmaxNode
  | SsdDecodeNode;

export type OpName = Node['op'];

export interface Graph {
  name: string;
  /** names of the source nodes merged into this one by passes (inspection) */
  origin?: string[];
  inputs: { name: string; shape: TensorShape }[];
  outputs: string[];
  nodes: Node[];
}

export class GraphError extends Error {
  constructor(
    message: string,
    readonly node?: string,
  ) {
    super(node ? `node '${node}': ${message}` : message);
    this.name = 'GraphError';
  }
}

/** origin list of a merge of nodes a and b (passes) */
export const mergedOrigin = (...ns: { name: string; origin?: string[] }[]): string[] => ns.flatMap((n) => n.origin ?? [n.name]);

export function unreachable(x: never, what: string): never {
  throw new Error(`unknown ${what}: ${JSON.stringify((x as { op?: string })?.op ?? x)}`);
}

/** Every tensor a node reads (inputs plus prologue/epilogue references). */
export function nodeInputs(n: Node): string[] {
  switch (n.op) {
    case 'conv2d': {
      const r = [n.input];
      if (n.prologue) r.push(n.prologue.seScale);
      if (n.epilogue.residual) r.push(n.epilogue.residual);
      return r;
    }
    case 'add': {
      const r: string[] = [...n.inputs];
      if (n.epilogue.residual) r.push(n.epilogue.residual);
      return r;
    }
    case 'channel_scale':
      return [n.input, n.scale];
    case 'binary': {
      const r: string[] = [...n.inputs];
      if (n.epilogue.residual) r.push(n.epilogue.residual);
      return r;
    }
    case 'concat':
    case 'ssd_decode':
      return [...n.inputs];
    case 'constant':
      return [];
    case 'conv_transpose': {
      const r = [n.input];
      if (n.epilogue.residual) r.push(n.epilogue.residual);
      return r;
    }
    case 'resize':
    case 'pad':
    case 'pool2d':
    case 'softmax':
    case 'argmax':
    case 'batch_norm':
    case 'act':
    case 'global_avg_pool':
    case 'squeeze_excite':
    case 'reshape':
      return [n.input];
    default:
      return unreachable(n, 'op');
  }
}

/** A clamp range must be two numbers (not NaN) with lo <= hi. */
function checkClamp(c: [number, number] | undefined, what: string, node: string): void {
  if (c === undefined) return;
  if (!Array.isArray(c) || c.length !== 2 || c.some((v) => typeof v !== 'number' || Number.isNaN(v)) || c[0] > c[1]) {
    throw new GraphError(`${what} ${JSON.stringify(c)} is not a range [lo, hi] with lo <= hi`, node);
  }
}

export const convOutSize = (inSize: number, k: number, stride: number, dilation: number, padA: number, padB: number): number =>
  Math.floor((inSize + padA + padB - dilation * (k - 1) - 1) / stride) + 1;

/**
 * Infers every tensor's shape and checks the graph: references, shapes, weight sizes,
 * single assignment. Throws GraphError naming the node.
 */
export function inferShapes(g: Graph): Map<string, TensorShape> {
  const shapes = new Map<string, TensorShape>();
  for (const i of g.inputs) {
    if (shapes.has(i.name)) throw new GraphError(`duplicate graph input '${i.name}'`);
    shapes.set(i.name, i.shape);
  }
  const get = (n: Node, t: string): TensorShape => {
    const s = shapes.get(t);
    if (!s) throw new GraphError(`reads tensor '${t}' that is not produced before it`, n.name);
    return s;
  };
  const names = new Set<string>();
  for (const n of g.nodes) {
    if (names.has(n.name)) throw new GraphError('duplicate node name', n.name);
    names.add(n.name);
    const ins = nodeInputs(n).map((t) => get(n, t));
    let out: TensorShape;
    switch (n.op) {
      case 'conv2d': {
        const x = ins[0];
        if (n.groups !== 1 && !(n.groups === x.c && n.outC === x.c)) {
          throw new GraphError(`groups=${n.groups} unsupported for ${x.c}->${n.outC} channels (only dense or depthwise)`, n.name);
        }
        const inPerGroup = x.c / n.groups;
        const expect = n.outC * inPerGroup * n.kh * n.kw;
        if (n.weight.length !== expect) {
          throw new GraphError(`weight has ${n.weight.length} values, expected ${expect} ([${n.outC},${inPerGroup},${n.kh},${n.kw}])`, n.name);
        }
        if (n.bias && n.bias.length !== n.outC) throw new GraphError(`bias has ${n.bias.length} values, expected ${n.outC}`, n.name);
        const oh = convOutSize(x.h, n.kh, n.strideH, n.dilationH, n.pad[0], n.pad[2]);
        const ow = convOutSize(x.w, n.kw, n.strideW, n.dilationW, n.pad[1], n.pad[3]);
        if (oh < 1 || ow < 1) throw new GraphError(`input ${x.h}x${x.w} is too small for a ${n.kh}x${n.kw} conv`, n.name);
        out = { h: oh, w: ow, c: n.outC };
        if (n.prologue) {
          const s = ins[1];
          if (s.h !== 1 || s.w !== 1 || s.c !== x.c) throw new GraphError(`SE scale must be 1x1x${x.c}, got ${s.h}x${s.w}x${s.c}`, n.name);
          checkClamp(n.prologue.clamp, 'prologue clamp', n.name);
        }
        if (n.epilogue.residual) {
          const r = ins[ins.length - 1];
          if (r.h !== out.h || r.w !== out.w || r.c !== out.c) {
            throw new GraphError(`residual ${r.h}x${r.w}x${r.c} does not match output ${out.h}x${out.w}x${out.c}`, n.name);
          }
        }
        break;
      }
      case 'batch_norm': {
        const x = ins[0];
        for (const [k, v] of [['gamma', n.gamma], ['beta', n.beta], ['mean', n.mean], ['variance', n.variance]] as const) {
          if (v.length !== x.c) throw new GraphError(`${k} has ${v.length} values, expected ${x.c}`, n.name);
        }
        out = x;
        break;
      }
      case 'act':
        out = ins[0];
        break;
      case 'add': {
        const [a, b] = ins;
        if (a.h !== b.h || a.w !== b.w || a.c !== b.c) {
          throw new GraphError(`operands ${a.h}x${a.w}x${a.c} and ${b.h}x${b.w}x${b.c} differ`, n.name);
        }
        out = a;
        break;
      }
      case 'channel_scale': {
        const [x, s] = ins;
        if (s.h !== 1 || s.w !== 1 || s.c !== x.c) throw new GraphError(`scale must be 1x1x${x.c}, got ${s.h}x${s.w}x${s.c}`, n.name);
        out = x;
        break;
      }
      case 'global_avg_pool':
        out = { h: 1, w: 1, c: ins[0].c };
        break;
      case 'squeeze_excite': {
        const x = ins[0];
        if (n.fc1.weight.length !== n.squeeze * x.c || n.fc1.bias.length !== n.squeeze) throw new GraphError('fc1 weight/bias size mismatch', n.name);
        if (n.fc2.weight.length !== n.squeeze * x.c || n.fc2.bias.length !== x.c) throw new GraphError('fc2 weight/bias size mismatch', n.name);
        checkClamp(n.poolClamp, 'poolClamp', n.name);
        checkClamp(n.fc1.clamp, 'fc1 clamp', n.name);
        checkClamp(n.fc2.clamp, 'fc2 clamp', n.name);
        out = { h: 1, w: 1, c: x.c };
        break;
      }
      case 'reshape': {
        const x = ins[0];
        if (x.h * x.w * x.c !== n.shape.h * n.shape.w * n.shape.c) throw new GraphError(`cannot reshape ${x.h}x${x.w}x${x.c} to ${n.shape.h}x${n.shape.w}x${n.shape.c}`, n.name);
        // the data is shared, so the padded NHWC layout must not change
        if (n.shape.c !== x.c && !(x.h * x.w === 1 && n.shape.h * n.shape.w === 1)) {
          throw new GraphError(`reshape ${x.h}x${x.w}x${x.c} -> ${n.shape.h}x${n.shape.w}x${n.shape.c} changes the channel layout (unsupported)`, n.name);
        }
        out = n.shape;
        break;
      }
      case 'constant':
        if (n.data.length !== n.shape.h * n.shape.w * n.shape.c) throw new GraphError(`has ${n.data.length} values for shape ${n.shape.h}x${n.shape.w}x${n.shape.c}`, n.name);
        out = n.shape;
        break;
      case 'binary': {
        const [a, b] = ins;
        const same = a.h === b.h && a.w === b.w && a.c === b.c;
        const perChannel = b.h === 1 && b.w === 1 && (b.c === a.c || b.c === 1);
        if (!same && !perChannel) throw new GraphError(`cannot broadcast ${b.h}x${b.w}x${b.c} onto ${a.h}x${a.w}x${a.c} (second operand must be the same shape, 1x1xC or 1x1x1)`, n.name);
        out = a;
        break;
      }
      case 'resize':
        if (!(n.outH >= 1 && n.outW >= 1)) throw new GraphError(`bad output size ${n.outH}x${n.outW}`, n.name);
        out = { h: n.outH, w: n.outW, c: ins[0].c };
        break;
      case 'concat': {
        if (ins.length < 1) throw new GraphError('concat needs inputs', n.name);
        for (const x of ins) if (x.h !== ins[0].h || x.w !== ins[0].w) throw new GraphError(`inputs ${ins.map((i) => `${i.h}x${i.w}x${i.c}`).join(', ')} differ spatially`, n.name);
        out = { h: ins[0].h, w: ins[0].w, c: ins.reduce((a, x) => a + x.c, 0) };
        break;
      }
      case 'pad': {
        const x = ins[0];
        if (n.pad.some((p) => p < 0 || !Number.isInteger(p))) throw new GraphError(`negative or fractional padding [${n.pad.join(', ')}]`, n.name);
        out = { h: x.h + n.pad[0] + n.pad[2], w: x.w + n.pad[1] + n.pad[3], c: x.c };
        break;
      }
      case 'pool2d': {
        const x = ins[0];
        const oh = convOutSize(x.h, n.kh, n.strideH, 1, n.pad[0], n.pad[2]);
        const ow = convOutSize(x.w, n.kw, n.strideW, 1, n.pad[1], n.pad[3]);
        if (oh < 1 || ow < 1) throw new GraphError(`input ${x.h}x${x.w} is too small for a ${n.kh}x${n.kw} pool`, n.name);
        out = { h: oh, w: ow, c: x.c };
        break;
      }
      case 'softmax':
        out = ins[0];
        break;
      case 'argmax':
        out = { h: ins[0].h, w: ins[0].w, c: 1 };
        break;
      case 'conv_transpose': {
        const x = ins[0];
        if (n.weight.length !== x.c * n.outC * n.kh * n.kw) throw new GraphError(`weight has ${n.weight.length} values, expected ${x.c * n.outC * n.kh * n.kw} ([${x.c},${n.outC},${n.kh},${n.kw}])`, n.name);
        if (n.bias && n.bias.length !== n.outC) throw new GraphError(`bias has ${n.bias.length} values, expected ${n.outC}`, n.name);
        const oh = (x.h - 1) * n.strideH + n.kh - n.pad[0] - n.pad[2] + n.outputPadding[0];
        const ow = (x.w - 1) * n.strideW + n.kw - n.pad[1] - n.pad[3] + n.outputPadding[1];
        if (oh < 1 || ow < 1) throw new GraphError(`output ${oh}x${ow} is empty`, n.name);
        out = { h: oh, w: ow, c: n.outC };
        break;
      }
      case 'ssd_decode':
        out = ssdDecodeShape(n, ins);
        break;
      default:
        unreachable(n, 'op');
    }
    if (shapes.has(n.output)) throw new GraphError(`writes tensor '${n.output}' that already exists`, n.name);
    shapes.set(n.output, out);
  }
  for (const o of g.outputs) if (!shapes.has(o)) throw new GraphError(`graph output '${o}' is never produced`);
  return shapes;
}

function ssdDecodeShape(n: SsdDecodeNode, ins: TensorShape[]): TensorShape {
  const maps = n.anchorsPerLocation.length;
  if (maps < 1 || ins.length !== 2 * maps) throw new GraphError(`expects ${2 * maps} inputs (class and box maps of ${maps} feature maps), got ${ins.length}`, n.name);
  if (!Number.isInteger(n.numClasses) || n.numClasses < 1 || n.firstClass < 0 || n.firstClass >= n.numClasses) throw new GraphError(`bad classes ${n.numClasses} / first class ${n.firstClass}`, n.name);
  if (!Number.isInteger(n.maxCandidates) || n.maxCandidates < 1) throw new GraphError(`maxCandidates ${n.maxCandidates} must be a positive integer`, n.name);
  let anchors = 0;
  for (let i = 0; i < maps; i++) {
    const a = n.anchorsPerLocation[i];
    const [cls, box] = [ins[i], ins[maps + i]];
    if (cls.c !== a * n.numClasses || box.c !== a * 4 || cls.h !== box.h || cls.w !== box.w) {
      throw new GraphError(`map ${i}: class ${cls.h}x${cls.w}x${cls.c} / box ${box.h}x${box.w}x${box.c} do not fit ${a} anchors x ${n.numClasses} classes`, n.name);
    }
    anchors += cls.h * cls.w * a;
  }
  if (n.anchors.length !== 4 * anchors) throw new GraphError(`has ${n.anchors.length / 4} anchors, the maps have ${anchors}`, n.name);
  return { h: n.maxCandidates + 1, w: 1, c: 8 };
}

export const validate = (g: Graph): void => void inferShapes(g);

/** Map tensor -> nodes that read it. */
export function consumers(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes) for (const t of nodeInputs(n)) m.set(t, [...(m.get(t) ?? []), n]);
  return m;
}
