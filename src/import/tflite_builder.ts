/**
 * IR construction state for the TFLite importer, and the small algebra that keeps imported
 * graphs in the canonical shapes the passes fuse:
 *
 * - Every activation carries a known value interval (from activations and clamps upstream).
 *   A quantized tensor's representable range [scale*(qmin-zp), scale*(qmax-zp)] is a clamp
 *   of the float computation; it is applied only where it can cut values (beyond one
 *   quantization step of the known interval), and placed into the producer's epilogue when
 *   the producer can hold it (conv clamp, add postClamp, act clamp), else in an act node.
 * - Elementwise ops with a constant operand (x*a+b per channel) and activations fold into
 *   the conv that produces their input when that is exact: clamp∘affine and act∘clamp
 *   compose (f(clamp(x,lo,hi)) = clamp(f(x), f(lo), f(hi)) for monotone f; hard-swish only
 *   when lo <= -3 and hi >= 0). So TOCO's "conv, +3, clamp [0,6], *1/6" becomes one conv
 *   with a hard-sigmoid epilogue, and ReLUs that exist only as ranges become conv epilogues.
 */
import type { Graph, Node, TensorShape, Conv2dNode, ConvTransposeNode, Act } from '../graph/ir.js';
import { type Interval, ALL, intersect, hull, contains, actOf, mulRange, clampThroughAct, snap, normalize } from './tflite_epilogue.js';

export { type Interval, ALL, intersect, hull, mulRange };

export interface ActValue {
  kind: 'act';
  /** IR tensor name */
  name: string;
  shape: TensorShape;
  dims: number[];
}
export interface ConstValue {
  kind: 'const';
  data: Float32Array;
  dims: number[];
}
export type Value = ActValue | ConstValue;

export type ClampPolicy = 'all' | 'activations';
export interface QuantRange {
  lo: number;
  hi: number;
  step: number;
}

type Holder = Conv2dNode | ConvTransposeNode | Extract<Node, { op: 'add' | 'binary' | 'act' }>;

export class GraphBuilder {
  readonly nodes: Node[] = [];
  private readonly producer = new Map<string, Node>();
  private readonly known = new Map<string, Interval>();
  /** pending readers of each IR tensor (TFLite consumers not yet converted, graph outputs) */
  private readonly uses = new Map<string, number>();
  private readonly nodeNames = new Set<string>();
  private readonly tensorNames = new Set<string>();
  constructor(readonly policy: ClampPolicy) {}

  uniqueTensor(base: string): string {
    let n = base;
    for (let i = 1; this.tensorNames.has(n); i++) n = `${base}#${i}`;
    this.tensorNames.add(n);
    return n;
  }
  uniqueNode(base: string): string {
    let n = base;
    for (let i = 1; this.nodeNames.has(n); i++) n = `${base}#${i}`;
    this.nodeNames.add(n);
    return n;
  }

  declare(name: string, known: Interval, uses: number): void {
    this.known.set(name, known);
    this.uses.set(name, uses);
  }
  knownOf(name: string): Interval {
    return this.known.get(name) ?? ALL;
  }
  setKnown(name: string, k: Interval): void {
    this.known.set(name, k);
  }
  /** a TFLite consumer of `name` has been converted */
  consumed(name: string): void {
    this.uses.set(name, (this.uses.get(name) ?? 1) - 1);
  }
  /** another TFLite tensor now aliases `name` with `extra` readers of its own */
  addUses(name: string, extra: number): void {
    this.uses.set(name, (this.uses.get(name) ?? 0) + extra);
  }

  emit<N extends Node>(n: N): N {
    this.nodes.push(n);
    this.producer.set(n.output, n);
    return n;
  }

  /** The node producing `name` when this consumer is its only remaining reader (fold target). */
  soleProducer(name: string): Node | undefined {
    return (this.uses.get(name) ?? 0) === 1 ? this.producer.get(name) : undefined;
  }

  /** Re-points a folded producer to write `out` (its old output had no other reader). */
  retarget(n: Node, out: string): void {
    this.producer.delete(n.output);
    n.output = out;
    this.producer.set(out, n);
  }

  // ---- clamps ----

  private holderClamp(n: Node | undefined): Interval | undefined {
    if (!n) return undefined;
    switch (n.op) {
      case 'conv2d':
      case 'conv_transpose':
      case 'binary':
        return n.epilogue.clamp;
      case 'add':
        return n.epilogue.postClamp;
      case 'act':
        return n.clamp;
      default:
        return undefined;
    }
  }

  /** Applies clamp c to the fresh output `name` of its producer (no reader has seen it yet). */
  clampOwn(name: string, c: Interval, nodeBase: string): void {
    const p = this.producer.get(name);
    const k = this.knownOf(name);
    this.setKnown(name, intersect(k, c));
    if (contains(c, k)) return;
    if (p && (p.op === 'conv2d' || p.op === 'conv_transpose' || p.op === 'binary' || p.op === 'add' || p.op === 'act')) {
      const h = p as Holder;
      const next = intersect(this.holderClamp(h) ?? ALL, c);
      if (h.op === 'add') h.epilogue.postClamp = next;
      else if (h.op === 'act') h.clamp = next;
      else h.epilogue.clamp = next;
    } else if (p && p.op === 'channel_scale') {
      // a clamped per-channel multiply is a binary mul with an epilogue
      const b: Node = { op: 'binary', name: p.name, kind: 'mul', inputs: [p.input, p.scale], output: name, epilogue: { act: 'none', clamp: c } };
      this.nodes[this.nodes.indexOf(p)] = b;
      this.producer.set(name, b);
    } else {
      const raw = this.uniqueTensor(`${name}/unclamped`);
      if (p) this.retarget(p, raw);
      else throw new Error(`internal: no producer for '${name}'`);
      this.setKnown(raw, k);
      this.emit({ op: 'act', name: this.uniqueNode(nodeBase), input: raw, output: name, act: 'none', clamp: c });
    }
  }

  /**
   * A consumer op that clamps its input `inName` into `outName` (RELU, RELU6, ...): folded
   * into the producer when this op is its only reader, else an act node.
   */
  foldClamp(inName: string, c: Interval, outName: string, nodeBase: string): void {
    const p = this.soleProducer(inName);
    const k = this.knownOf(inName);
    if (p && (p.op === 'conv2d' || p.op === 'conv_transpose' || p.op === 'binary' || p.op === 'add' || p.op === 'act' || p.op === 'channel_scale')) {
      this.retarget(p, outName);
      this.setKnown(outName, k);
      this.clampOwn(outName, c, nodeBase);
      return;
    }
    this.emit({ op: 'act', name: this.uniqueNode(nodeBase), input: inName, output: outName, act: 'none', clamp: c });
    this.setKnown(outName, intersect(k, c));
  }

  /**
   * Finishes an op's fresh output `name`: applies the fused-activation clamp (mandatory)
   * and the quantized output range (as the policy says).
   */
  finish(name: string, nodeBase: string, fused: Interval | null, range: QuantRange | null): void {
    let clamp: Interval | null = fused;
    if (range) {
      const k = fused ? intersect(this.knownOf(name), fused) : this.knownOf(name);
      // the producer clamps anyway: tightening that clamp is free
      if (clamp || this.holderClamp(this.producer.get(name))) clamp = intersect(clamp ?? ALL, this.policyRange(range));
      else clamp = this.rangeClamp(k, range);
    }
    if (clamp) this.clampOwn(name, [snap(clamp[0]), snap(clamp[1])], nodeBase);
  }

  /** the sides of a quantized range that can cut values of known interval k (null: none) */
  rangeClamp(k: Interval, range: QuantRange): Interval | null {
    const r = this.policyRange(range);
    const tol = range.step;
    const c: Interval = [k[0] < r[0] - tol ? snap(r[0]) : -Infinity, k[1] > r[1] + tol ? snap(r[1]) : Infinity];
    return c[0] > -Infinity || c[1] < Infinity ? c : null;
  }

  /** A consumer activation op (HARD_SWISH, LOGISTIC) folded into its input's producer when exact. */
  foldAct(inName: string, act: Act, outName: string, nodeBase: string): void {
    const p = this.soleProducer(inName);
    const k = actOf(act, this.knownOf(inName));
    if (p && (p.op === 'conv2d' || p.op === 'conv_transpose' || p.op === 'act' || p.op === 'add')) {
      const cur = p.op === 'act' ? p.act : p.epilogue.act;
      const c = this.holderClamp(p);
      const through = c ? clampThroughAct(act, c) : ALL;
      if (cur === 'none' && through && !(p.op !== 'act' && p.epilogue.residual)) {
        if (p.op === 'act') {
          p.act = act;
          if (c) p.clamp = through;
        } else {
          // an add's postClamp becomes a clamp before the (still absent) residual
          p.epilogue = c ? { act, clamp: through } : { act };
        }
        this.retarget(p, outName);
        this.setKnown(outName, intersect(k, through));
        return;
      }
    }
    this.emit({ op: 'act', name: this.uniqueNode(nodeBase), input: inName, output: outName, act });
    this.setKnown(outName, k);
  }

  /**
   * y = a*x + b per channel (a, b of length c), from ADD/SUB/MUL with a constant: folded
   * into the producing conv when exact, else a 1x1 depthwise conv (one dispatch, the
   * canonical affine form).
   */
  foldAffine(inName: string, a: Float32Array, b: Float32Array, outName: string, nodeBase: string): void {
    const c = a.length;
    const uniform = a.every((v) => v === a[0]) && b.every((v) => v === b[0]);
    const kin = this.knownOf(inName);
    let k: Interval = [Infinity, -Infinity];
    for (let i = 0; i < c; i++) k = hull(k, mulRange(kin, [a[i], a[i]]).map((v) => v + b[i]) as Interval);
    const through = (cl: Interval | undefined): Interval | null | undefined => {
      if (!cl) return undefined;
      if (!uniform || !(a[0] > 0)) return null;
      return [snap(a[0] * cl[0] + b[0]), snap(a[0] * cl[1] + b[0])];
    };
    const p = this.soleProducer(inName);
    if (p && (p.op === 'conv2d' || p.op === 'conv_transpose') && p.epilogue.act === 'none' && !p.epilogue.residual && p.outC === c) {
      const cl = through(p.epilogue.clamp);
      if (cl !== null) {
        // conv2d OIHW: output channel outermost; conv_transpose [in][out][kh][kw]: blocks of kh*kw cycle through out
        const w = new Float32Array(p.weight.length);
        const block = p.op === 'conv2d' ? p.weight.length / c : p.kh * p.kw;
        for (let i = 0, o = 0; i < w.length; o = (o + 1) % c) {
          const s = a[o];
          for (const end = i + block; i < end; i++) w[i] = p.weight[i] * s;
        }
        const bias = new Float32Array(c);
        for (let o = 0; o < c; o++) bias[o] = a[o] * (p.bias ? p.bias[o] : 0) + b[o];
        p.weight = w;
        p.bias = bias;
        p.epilogue = cl ? { act: 'none', clamp: cl } : { act: 'none' };
        this.retarget(p, outName);
        this.setKnown(outName, cl ? intersect(k, cl) : k);
        return;
      }
    }
    let input = inName;
    let clamp: Interval | undefined;
    if (p && p.op === 'act' && p.act === 'none' && p.clamp) {
      const cl = through(p.clamp);
      if (cl) {
        // clamp-only act node followed by an affine: one conv with the clamp moved behind
        this.nodes.splice(this.nodes.indexOf(p), 1);
        this.producer.delete(p.output);
        input = p.input;
        clamp = cl;
      }
    }
    this.emit({
      op: 'conv2d', name: this.uniqueNode(nodeBase), input, output: outName, outC: c, kh: 1, kw: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
      pad: [0, 0, 0, 0], groups: c, weight: Float32Array.from(a), bias: Float32Array.from(b), epilogue: clamp ? { act: 'none', clamp } : { act: 'none' },
    });
    this.setKnown(outName, clamp ? intersect(k, clamp) : k);
  }

  /** the range bounds the policy turns into clamps */
  private policyRange(r: QuantRange): Interval {
    if (this.policy === 'all') return [r.lo, r.hi];
    const kink = (v: number): boolean => [0, 1, 6].some((k) => Math.abs(v - k) <= r.step / 2);
    return [kink(r.lo) ? snap(Math.round(r.lo)) : -Infinity, kink(r.hi) ? snap(Math.round(r.hi)) : Infinity];
  }

  graph(name: string, inputs: Graph['inputs'], outputs: string[]): Graph {
    for (const n of this.nodes) normalize(n);
    return { name, inputs, outputs, nodes: this.nodes };
  }
}
