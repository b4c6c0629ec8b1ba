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

/** Map tensor -> nodes that read it. */
export function consumers(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes) for (const t of nodeInputs(n)) m.set(t, [...(m.get(t) ?? []), n]);
  return m;
}
