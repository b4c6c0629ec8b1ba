/**
 * Lowering of a TF graph (as TF.js stores it) to the IR: walks the nodes needed for the
 * requested outputs in topological order, evaluates shape/constant arithmetic at import
 * time, follows `cond` control flow (Switch/Merge with a predicate known at import), and
 * emits IR nodes in the canonical shapes the passes recognise (conv + bias + act, add,
 * channel_scale, global_avg_pool). Import-time simplifications that cost nothing to check:
 * - a multiply/add by a per-channel constant right after a conv (BiasAdd spelled as Add,
 *   BatchNorm spelled as Mul + Add) is folded into that conv's weights and bias;
 * - a pending multiplier (hard-swish's exact constant, see tfjs_patterns.ts) is folded into
 *   the next conv's weights;
 * - zero Pad and SpaceToBatchND/BatchToSpaceND around a conv become its padding / dilation.
 * Op semantics live in tfjs_ops.ts and tfjs_conv.ts; tfjs.ts passes `lowerNode` in, so the
 * op modules import this one and not the other way round.
 */
import type { Epilogue, Graph, Node, TensorShape } from '../graph/ir.js';
import { nodeInputs } from '../graph/ir.js';
import { inferShapes } from '../graph/shapes.js';
import { ModelFormatError } from './errors.js';
import { type TfNode, refNode } from './tfjs_format.js';
import type { HostTensor } from './tfjs_host.js';
import { type Value, type DevValue, DEAD, NONE, mulScales } from './tfjs_values.js';

/** The op semantics (tfjs_ops.ts), handed in by the caller so this driver does not import them. */
export type LowerNode = (L: Lowering, n: TfNode, ins: Value[]) => Value | Value[];

export interface LowerOptions {
  inputHeight?: number;
  inputWidth?: number;
  /** values for non-image placeholders (e.g. RVM's downsample_ratio) */
  constants?: Record<string, number | number[]>;
}

/** Data readers that need the tensor's values (Shape-like ops only read its shape). */
const SHAPE_ONLY = new Set(['Shape', 'ShapeN', 'Size', 'Rank']);

export class Lowering {
  readonly nodes: Node[] = [];
  input?: { name: string; shape: TensorShape };
  private readonly values = new Map<string, Value>();
  private readonly deadNodes = new Set<string>();
  private readonly producers = new Map<string, Node>();
  private readonly nodeNames = new Set<string>();
  private readonly tensorNames = new Set<string>();
  /** IR tensor -> TF refs whose value is that tensor (possibly with a pending scale) */
  private readonly aliases = new Map<string, string[]>();
  private readonly readers = new Map<string, number>();
  private readonly memo = new WeakMap<object, DevValue>();
  /** nodes whose values the outputs need (the rest are reached by control edges only) */
  private readonly dataNeeded = new Set<string>();

  constructor(
    readonly file: string,
    readonly tf: Map<string, TfNode>,
    readonly weights: Map<string, HostTensor>,
    /** requested output refs: never folded away */
    readonly protect: Set<string>,
    readonly opts: LowerOptions,
    private readonly lowerNode: LowerNode,
  ) {
    for (const n of tf.values()) {
      if (SHAPE_ONLY.has(n.op)) continue;
      for (const r of n.inputs) this.readers.set(r, (this.readers.get(r) ?? 0) + 1);
    }
  }

  fail(n: TfNode, reason: string): never {
    throw new ModelFormatError(this.file, `${n.op} node: ${reason}`, n.name);
  }

  /** Nodes needed for `outputs`, dependencies first (iterative DFS: graphs are deep). */
  order(outputs: string[]): TfNode[] {
    const seen = new Set<string>();
    const finished = new Set<string>();
    const out: TfNode[] = [];
    const stack: [string, boolean][] = outputs.map((o) => [refNode(o), false]);
    while (stack.length) {
      const [name, done] = stack.pop()!;
      const n = this.tf.get(name);
      if (!n) throw new ModelFormatError(this.file, `input '${name}' is not a node of the graph`);
      if (done) {
        out.push(n);
        finished.add(name);
        continue;
      }
      if (seen.has(name)) continue;
      seen.add(name);
      stack.push([name, true]);
      for (const r of [...n.inputs, ...n.controls].reverse()) {
        const dep = refNode(r);
        if (!this.tf.has(dep)) throw new ModelFormatError(this.file, `${n.op} node reads '${r}', which is not a node of the graph`, n.name);
        // expanded but unfinished = on the current path: a loop (NextIteration)
        if (seen.has(dep) && !finished.has(dep)) throw new ModelFormatError(this.file, `${n.op} node is part of a cycle through '${dep}' (TF while loops are not supported)`, n.name);
        if (!seen.has(dep)) stack.push([dep, false]);
      }
    }
    const todo = outputs.map(refNode);
    while (todo.length) {
      const name = todo.pop()!;
      if (this.dataNeeded.has(name)) continue;
      this.dataNeeded.add(name);
      for (const r of this.tf.get(name)!.inputs) todo.push(refNode(r));
    }
    return out;
  }

  value(ref: string): Value {
    if (this.deadNodes.has(refNode(ref))) return DEAD;
    const v = this.values.get(ref);
    if (!v) throw new ModelFormatError(this.file, `output '${ref}' is read but its node does not produce it`);
    return v;
  }

  run(n: TfNode): void {
    const ins = n.inputs.map((r) => this.value(r));
    const dead = ins.some((v) => v.kind === 'dead') || n.controls.some((c) => this.deadNodes.has(c));
    if (dead && n.op !== 'Merge') {
      this.deadNodes.add(n.name);
      return;
    }
    // a placeholder reached only through control edges (TF's input_control_node) needs no value
    if (n.op === 'Placeholder' && !this.dataNeeded.has(n.name)) {
      this.values.set(n.name, NONE);
      return;
    }
    let outs: Value | Value[];
    try {
      outs = this.lowerNode(this, n, ins);
    } catch (e) {
      // host arithmetic and IR checks throw plain Errors / GraphErrors: name the node
      if (e instanceof ModelFormatError) throw e;
      throw new ModelFormatError(this.file, `${n.op} node: ${(e as Error).message}`, n.name);
    }
    const list = Array.isArray(outs) ? outs : [outs];
    list.forEach((v, i) => {
      const ref = i === 0 ? n.name : `${n.name}:${i}`;
      this.values.set(ref, v);
      if (v.kind === 'dev') this.aliases.set(v.tensor, [...(this.aliases.get(v.tensor) ?? []), ref]);
    });
  }

  // ------------------------------------------------------------ emission

  private fresh(set: Set<string>, base: string): string {
    let name = base;
    for (let k = 2; set.has(name); k++) name = `${base}#${k}`;
    set.add(name);
    return name;
  }
  nodeName = (base: string): string => this.fresh(this.nodeNames, base);
  tensorName = (base: string): string => this.fresh(this.tensorNames, base);

  /** Pushes an IR node (its name and output made unique) and returns its output as a value. */
  emit(node: Node, shape: TensorShape, scale?: Float32Array): DevValue {
    node.name = this.nodeName(node.name);
    node.output = this.tensorName(node.output);
    this.nodes.push(node);
    this.producers.set(node.output, node);
    return { kind: 'dev', tensor: node.output, shape, scale };
  }

  setInput(name: string, shape: TensorShape): DevValue {
    this.input = { name: this.tensorName(name), shape };
    return { kind: 'dev', tensor: this.input.name, shape };
  }

  /** The value as a plain IR tensor: pending scales and paddings are applied (memoized). */
  materialize(v: Value, at: TfNode): DevValue {
    if (v.kind === 'dev' && !v.scale) return v;
    const done = this.memo.get(v);
    if (done) return done;
    let r: DevValue;
    if (v.kind === 'dev') {
      r = this.affine(at, `${at.name}#scale`, { ...v, scale: undefined }, v.scale!, undefined);
    } else if (v.kind === 'pad') {
      const src = this.materialize(v.src, at);
      const s = src.shape;
      r = this.emit(
        { op: 'pad', name: `${at.name}#pad`, input: src.tensor, output: `${src.tensor}#pad`, pad: v.pad, value: 0 },
        { h: s.h + v.pad[0] + v.pad[2], w: s.w + v.pad[1] + v.pad[3], c: s.c },
      );
    } else if (v.kind === 'host') {
      return this.fail(at, 'an activation input is a constant (constant subgraphs feeding activations are not supported)');
    } else {
      return this.fail(at, `reads a ${v.kind === 's2b' ? 'SpaceToBatchND' : v.kind === 'dilated' ? 'space-to-batch convolution' : v.kind} value; only the SpaceToBatchND -> conv -> BatchToSpaceND (dilated convolution) pattern is supported`);
    }
    this.memo.set(v, r);
    return r;
  }

  /** A 1x1 depthwise conv computing x * scale + shift per channel. */
  private affine(at: TfNode, name: string, x: DevValue, scale: Float32Array, shift: Float32Array | undefined): DevValue {
    const c = x.shape.c;
    return this.emit(
      {
        op: 'conv2d', name, input: x.tensor, output: name, outC: c, kh: 1, kw: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
        pad: [0, 0, 0, 0], groups: c, weight: Float32Array.from(scale), bias: shift ? Float32Array.from(shift) : undefined, epilogue: { act: 'none' },
      },
      x.shape,
    );
  }

  /**
   * x * scale + shift for the TF node `at` (per-channel constants). Folded into the conv
   * that produced x when nothing else reads x; a pure multiply stays pending; otherwise a
   * 1x1 depthwise affine conv is emitted.
   */
  applyAffine(at: TfNode, x: DevValue, scale: Float32Array | undefined, shift: Float32Array | undefined): DevValue {
    const mult = mulScales(x.scale, scale);
    if (!mult && !shift) return { ...x, scale: undefined };
    const p = this.producers.get(x.tensor);
    if ((p?.op === 'conv2d' || p?.op === 'conv_transpose') && this.foldable(p.epilogue, x.tensor)) {
      const oc = p.outC;
      if (mult) {
        if (p.op === 'conv2d') {
          const per = p.weight.length / oc;
          for (let o = 0; o < oc; o++) for (let j = 0; j < per; j++) p.weight[o * per + j] *= mult[o];
        } else {
          const taps = p.kh * p.kw;
          for (let i = 0; i < p.weight.length / (oc * taps); i++) {
            for (let o = 0; o < oc; o++) for (let t = 0; t < taps; t++) p.weight[(i * oc + o) * taps + t] *= mult[o];
          }
        }
      }
      const b = p.bias ?? new Float32Array(oc);
      for (let o = 0; o < oc; o++) b[o] = b[o] * (mult ? mult[o] : 1) + (shift ? shift[o] : 0);
      p.bias = b;
      p.origin = [...(p.origin ?? [p.name]), at.name];
      this.producers.delete(p.output);
      this.tensorNames.delete(p.output);
      p.output = this.tensorName(at.name);
      this.producers.set(p.output, p);
      return { kind: 'dev', tensor: p.output, shape: x.shape };
    }
    if (!shift) return { ...x, scale: mult };
    return this.affine(at, at.name, { ...x, scale: undefined }, mult ?? new Float32Array(x.shape.c).fill(1), shift);
  }

  /** a conv output can absorb an affine when it has no activation and nothing else reads it */
  private foldable(ep: Epilogue, tensor: string): boolean {
    if (ep.act !== 'none' || ep.clamp || ep.residual || ep.postClamp) return false;
    const refs = this.aliases.get(tensor) ?? [];
    const readers = refs.reduce((s, r) => s + (this.readers.get(r) ?? 0), 0);
    return readers === 1 && !refs.some((r) => this.protect.has(r));
  }

  // ------------------------------------------------------------ result

  /** Materializes the outputs, names them as requested, drops dead IR nodes, validates. */
  finish(name: string, outputs: { name: string; ref: string }[]): Graph {
    if (!this.input) throw new ModelFormatError(this.file, 'the requested outputs do not depend on an image input (no Placeholder reached)');
    const taken = new Set<string>();
    const renamed = new Map<string, string>();
    for (const o of outputs) {
      const at = this.tf.get(refNode(o.ref))!;
      const v = this.value(o.ref);
      if (v.kind === 'dead') throw new ModelFormatError(this.file, `requested output '${o.name}' lies on an untaken control-flow branch`, o.ref);
      if (v.kind === 'host') throw new ModelFormatError(this.file, `requested output '${o.name}' is a constant, not an activation`, o.ref);
      const m = this.materialize(v, at);
      const d = { ...m, tensor: renamed.get(m.tensor) ?? m.tensor };
      if (d.tensor === this.input.name) throw new ModelFormatError(this.file, `requested output '${o.name}' is the graph input itself`, o.ref);
      if (d.tensor !== o.name) {
        // free the requested name if some internal tensor happens to carry it
        if (this.tensorNames.has(o.name)) this.rename(o.name, this.tensorName(`${o.name}#renamed`));
        if (taken.has(d.tensor)) this.emit({ op: 'reshape', name: `${o.name}#alias`, input: d.tensor, output: o.name, shape: d.shape }, d.shape);
        else {
          this.rename(d.tensor, o.name);
          renamed.set(m.tensor, o.name);
        }
      }
      taken.add(o.name);
    }
    const g: Graph = { name, inputs: [this.input], outputs: outputs.map((o) => o.name), nodes: this.liveNodes(outputs.map((o) => o.name)) };
    try {
      inferShapes(g);
    } catch (e) {
      throw new ModelFormatError(this.file, `the imported graph does not validate: ${(e as Error).message}`);
    }
    return g;
  }

  private rename(from: string, to: string): void {
    const f = (t: string): string => (t === from ? to : t);
    for (const n of this.nodes) {
      const m = n as unknown as Record<string, unknown>;
      for (const k of ['input', 'output', 'scale'] as const) if (typeof m[k] === 'string') m[k] = f(m[k] as string);
      if ('inputs' in n) (n as { inputs: string[] }).inputs = n.inputs.map(f);
      if ('prologue' in n && n.prologue) n.prologue = { seScale: f(n.prologue.seScale) };
      if ('epilogue' in n && n.epilogue.residual) n.epilogue = { ...n.epilogue, residual: f(n.epilogue.residual) };
    }
    this.tensorNames.delete(from);
    this.tensorNames.add(to);
    const p = this.producers.get(from);
    if (p) {
      this.producers.delete(from);
      this.producers.set(to, p);
    }
    if (this.input?.name === from) this.input.name = to;
  }

  private liveNodes(outputs: string[]): Node[] {
    const live = new Set(outputs);
    const keep: Node[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      if (!live.has(n.output)) continue;
      keep.push(n);
      for (const t of nodeInputs(n)) live.add(t);
    }
    return keep.reverse();
  }
}
