/**
 * State of one ONNX import: what every ONNX value is (a folded constant, or an IR tensor with
 * its NCHW dims), the IR nodes emitted so far, unique naming, errors that name the file and
 * the node, and the one peephole the importer does itself: folding a per-channel affine map
 * (a constant Add/Mul/Sub/Div, a BatchNormalization after a ConvTranspose, the affine part
 * of a non-standard HardSigmoid) into the conv or batch_norm that produced its input, when
 * that output has no other reader. Otherwise the affine map becomes a 1x1 depthwise conv.
 */
import { type Node, type TensorShape, mergedOrigin } from '../graph/ir.js';
import { ModelFormatError } from './errors.js';
import { type Attrs, type ConstVal, OnnxDataError } from './onnx_tensor.js';
import { expandTo } from './onnx_fold.js';

/** One ONNX node, with a unique name (the file's, or OpType#index when it has none). */
export interface NodeInfo {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Attrs;
}

/** A tensor computed at run time: its IR (NHWC) tensor and its ONNX (NCHW, batch 1) dims. */
export interface RtVal {
  kind: 'rt';
  name: string;
  dims: number[];
}

export type Val = ConstVal | RtVal;

/** Largest spatial size or channel count the importer accepts (a corrupted file cannot ask for more). */
export const MAX_DIM = 1 << 16;

export class ImportContext {
  readonly nodes: Node[] = [];
  readonly vals = new Map<string, Val>();
  private readonly producers = new Map<string, Node>();
  private readonly nodeNames = new Set<string>();
  private readonly tensorNames = new Set<string>();
  /** IR tensor -> the ONNX values that name it */
  private readonly aliases = new Map<string, string[]>();
  /** IR tensor -> how many of its ONNX uses were alias ops (Reshape, Identity, folded affine) */
  private readonly aliasUses = new Map<string, number>();

  constructor(
    readonly file: string,
    readonly opset: number,
    /** ONNX value -> number of node inputs reading it (+1 when it is a graph output) */
    readonly uses: Map<string, number>,
    readonly graphOutputs: ReadonlySet<string>,
  ) {}

  fail(node: NodeInfo | undefined, reason: string, tensor?: string): never {
    throw new ModelFormatError(this.file, node ? `node '${node.name}' (${node.opType}): ${reason}` : reason, tensor);
  }

  /** Runs fn, turning data errors from the helpers into ModelFormatErrors naming the node. */
  guard<T>(node: NodeInfo, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof OnnxDataError) this.fail(node, e.message);
      throw e;
    }
  }

  /** Input i of a node; undefined when absent (an empty name means an omitted optional input). */
  input(node: NodeInfo, i: number): Val | undefined {
    const name = node.inputs[i];
    if (!name) return undefined;
    const v = this.vals.get(name);
    if (!v) this.fail(node, `input '${name}' is not produced by any earlier node, initializer or graph input`, name);
    return v;
  }

  rt(node: NodeInfo, i: number): RtVal {
    const v = this.input(node, i);
    if (!v) this.fail(node, `input ${i} is missing`);
    if (v.kind !== 'rt') this.fail(node, `input '${node.inputs[i]}' is a constant where a computed tensor is expected (unsupported)`, node.inputs[i]);
    return v;
  }

  cst(node: NodeInfo, i: number, what: string): ConstVal {
    const v = this.input(node, i);
    if (!v) this.fail(node, `${what} (input ${i}) is missing`);
    if (v.kind !== 'const') this.fail(node, `${what} '${node.inputs[i]}' is computed at run time; it must be a constant (initializer, Constant node or a foldable shape expression)`, node.inputs[i]);
    return v;
  }

  optCst(node: NodeInfo, i: number, what: string): ConstVal | undefined {
    return node.inputs[i] ? this.cst(node, i, what) : undefined;
  }

  setConst(name: string, v: ConstVal): void {
    this.vals.set(name, v);
  }

  /** Declares a fresh IR tensor for ONNX value `name` (produced by the node just emitted). */
  setRt(name: string, irTensor: string, dims: number[]): RtVal {
    const v: RtVal = { kind: 'rt', name: irTensor, dims };
    this.vals.set(name, v);
    this.aliases.set(irTensor, [...(this.aliases.get(irTensor) ?? []), name]);
    return v;
  }

  /** ONNX value `name` is the same data as `src` (Identity, Reshape within a layout, folded affine). */
  alias(name: string, src: RtVal, dims: number[] = src.dims): RtVal {
    this.aliasUses.set(src.name, (this.aliasUses.get(src.name) ?? 0) + 1);
    return this.setRt(name, src.name, dims);
  }

  /** True when the only reader of IR tensor `t`'s data is the node now being converted. */
  soleReader(t: string): boolean {
    const names = this.aliases.get(t) ?? [];
    if (names.some((n) => this.graphOutputs.has(n))) return false;
    const uses = names.reduce((p, n) => p + (this.uses.get(n) ?? 0), 0) - (this.aliasUses.get(t) ?? 0);
    return uses === 1;
  }

  producer(t: string): Node | undefined {
    return this.producers.get(t);
  }

  /** A unique IR tensor name, preferring `base` (ONNX value names are used as they are). */
  tensor(base: string): string {
    let n = base;
    for (let k = 1; this.tensorNames.has(n); k++) n = `${base}#${k}`;
    this.tensorNames.add(n);
    return n;
  }

  nodeName(node: NodeInfo, suffix = ''): string {
    const base = node.name + suffix;
    let n = base;
    for (let k = 1; this.nodeNames.has(n); k++) n = `${base}#${k}`;
    this.nodeNames.add(n);
    return n;
  }

  emit<T extends Node>(n: T): T {
    this.nodes.push(n);
    this.producers.set(n.output, n);
    return n;
  }

  /** IR shape of ONNX dims: [1,C,H,W] -> HxWxC; [1,C], [C] and scalars -> 1x1xC. */
  irShape(node: NodeInfo, dims: readonly number[]): TensorShape {
    let s: TensorShape | undefined;
    if (dims.length === 4 && dims[0] === 1) s = { h: dims[2], w: dims[3], c: dims[1] };
    else if (dims.length === 2 && dims[0] === 1) s = { h: 1, w: 1, c: dims[1] };
    else if (dims.length === 1) s = { h: 1, w: 1, c: dims[0] };
    else if (dims.length === 0) s = { h: 1, w: 1, c: 1 };
    if (!s) this.fail(node, `a computed tensor of shape [${dims.join(', ')}] has no NHWC layout (supported: [1,C,H,W], [1,C], [C]; batch must be 1)`);
    if (![s.h, s.w, s.c].every((d) => Number.isInteger(d) && d >= 1 && d <= MAX_DIM)) this.fail(node, `tensor shape [${dims.join(', ')}] is empty or implausibly large`);
    return s;
  }

  /**
   * y = x * scale[c] + shift[c] (scale/shift of length C or 1): folded into the producing conv
   * when possible, else a 1x1 depthwise conv. With foldOnly, returns false instead of emitting.
   */
  affine(node: NodeInfo, x: RtVal, scale: ArrayLike<number>, shift: ArrayLike<number>, out: string, foldOnly = false): boolean {
    const c = this.irShape(node, x.dims).c;
    const s = (i: number): number => (scale.length === 1 ? scale[0] : scale[i]);
    const t = (i: number): number => (shift.length === 1 ? shift[0] : shift[i]);
    const p = this.producer(x.name);
    const plain = p && (p.op === 'conv2d' || p.op === 'conv_transpose') && p.epilogue.act === 'none' && !p.epilogue.clamp && !p.epilogue.residual && !p.epilogue.postClamp;
    if (plain && this.soleReader(x.name)) {
      const per = p.op === 'conv2d' ? p.weight.length / c : p.kh * p.kw;
      const inC = p.op === 'conv2d' ? 1 : p.weight.length / (c * per);
      for (let i = 0; i < inC; i++) {
        for (let o = 0; o < c; o++) for (let k = 0; k < per; k++) p.weight[(i * c + o) * per + k] *= s(o);
      }
      const bias = new Float32Array(c);
      for (let o = 0; o < c; o++) bias[o] = (p.bias ? p.bias[o] : 0) * s(o) + t(o);
      p.bias = bias;
      p.origin = mergedOrigin(p, { name: node.name });
      this.alias(out, x);
      return true;
    }
    if (p?.op === 'batch_norm' && this.soleReader(x.name)) {
      // (x - mean) / sd * gamma + beta, then * s + t: scale gamma and beta instead
      for (let o = 0; o < c; o++) {
        p.gamma[o] *= s(o);
        p.beta[o] = p.beta[o] * s(o) + t(o);
      }
      p.origin = mergedOrigin(p, { name: node.name });
      this.alias(out, x);
      return true;
    }
    if (foldOnly) return false;
    const y = this.emit({
      op: 'conv2d', name: this.nodeName(node), input: x.name, output: this.tensor(out), outC: c, kh: 1, kw: 1, strideH: 1, strideW: 1,
      dilationH: 1, dilationW: 1, pad: [0, 0, 0, 0], groups: c, weight: Float32Array.from({ length: c }, (_, i) => s(i)),
      bias: Float32Array.from({ length: c }, (_, i) => t(i)), epilogue: { act: 'none' },
    });
    this.setRt(out, y.output, x.dims);
    return true;
  }

  /** An IR constant node holding `v` broadcast to `dims` (NCHW), in NHWC order; returns its tensor. */
  constTensor(node: NodeInfo, v: ConstVal, dims: number[]): string {
    const shape = this.irShape(node, dims);
    const nchw = this.guard(node, () => expandTo(v, dims));
    const data = new Float32Array(nchw.length);
    const hw = shape.h * shape.w;
    for (let c = 0; c < shape.c; c++) for (let p = 0; p < hw; p++) data[p * shape.c + c] = nchw[c * hw + p];
    const out = this.tensor(`${node.name}:const`);
    this.emit({ op: 'constant', name: this.nodeName(node, ':const'), output: out, shape, data });
    return out;
  }
}
