/**
 * What one TFLite operator's converter sees: its inputs as activations (IR tensors) or decoded
 * constants, its outputs (allocated IR names with declared shapes), its options, and `fail`,
 * which names the file, the operator index and name, and its output tensor.
 */
import { ModelFormatError } from './errors.js';
import type { TfModel, TfOperator, TfSubGraph, TfTensor, Table } from './tflite_schema.js';
import { decodeConstant, decodeInts, activationRange, elementCount } from './tflite_tensors.js';
import type { GraphBuilder, Interval, Value, ActValue, ConstValue } from './tflite_builder.js';
import type { TensorShape } from '../graph/ir.js';

export class OpContext {
  constructor(
    readonly file: string,
    readonly model: TfModel,
    readonly sg: TfSubGraph,
    readonly b: GraphBuilder,
    readonly values: (Value | undefined)[],
    readonly uses: number[],
    readonly declared: Map<string, TensorShape>,
    readonly op: TfOperator,
    readonly opName: string,
  ) {}

  fail(reason: string): never {
    const o = this.op.outputs[0];
    const t = o !== undefined && o >= 0 ? this.sg.tensors[o]?.name : undefined;
    throw new ModelFormatError(this.file, `operator #${this.op.index} ${this.opName}: ${reason}`, t);
  }
  inTensor(k: number): TfTensor {
    const i = this.op.inputs[k];
    if (i === undefined || i < 0) this.fail(`input ${k} is missing`);
    return this.sg.tensors[i];
  }
  has(k: number): boolean {
    const i = this.op.inputs[k];
    return i !== undefined && i >= 0;
  }
  value(k: number): Value {
    const t = this.inTensor(k);
    const v = this.values[t.index];
    if (v) return v;
    if (this.model.buffer(t.buffer, t.name)) return this.constant(k);
    return this.fail(`input '${t.name}' is read before any operator produces it`);
  }
  act(k: number): ActValue {
    const v = this.value(k);
    if (v.kind !== 'act') this.fail(`input ${k} ('${this.inTensor(k).name}') must be an activation, not a constant`);
    return v;
  }
  constant(k: number, fallbackScale?: (ch: number) => number): ConstValue {
    const t = this.inTensor(k);
    const v = this.values[t.index];
    if (v?.kind === 'const') return v;
    if (v) this.fail(`input ${k} ('${t.name}') must be a constant`);
    const c: ConstValue = { kind: 'const', data: decodeConstant(this.file, this.model, t, fallbackScale), dims: t.shape };
    this.values[t.index] = c;
    return c;
  }
  ints(k: number): number[] {
    return decodeInts(this.file, this.model, this.inTensor(k));
  }
  outTensor(k = 0): TfTensor {
    const i = this.op.outputs[k];
    if (i === undefined || i < 0) this.fail(`output ${k} is missing`);
    return this.sg.tensors[i];
  }
  /** IR shape of a TFLite shape (batch 1; [1,C] and [C] are 1x1xC) */
  shapeOf(t: TfTensor, dims = t.shape): TensorShape {
    elementCount(this.file, t, dims);
    const d = dims;
    const bad = (why: string): never => {
      throw new ModelFormatError(this.file, `shape [${d.join(', ')}] ${why}`, t.name);
    };
    if (d.length === 4) return d[0] === 1 ? { h: d[1], w: d[2], c: d[3] } : bad(`has batch ${d[0]}; only batch 1 is supported`);
    if (d.length === 3) return d[0] === 1 ? { h: 1, w: d[1], c: d[2] } : bad('is not NHWC with batch 1');
    if (d.length === 2) return d[0] === 1 ? { h: 1, w: 1, c: d[1] } : bad(`has batch ${d[0]}; only batch 1 is supported`);
    if (d.length === 1) return { h: 1, w: 1, c: d[0] };
    if (d.length === 0) return { h: 1, w: 1, c: 1 };
    return bad('has more than 4 dimensions');
  }
  /** allocates the IR name of output k */
  out(k = 0): { name: string; shape: TensorShape; t: TfTensor } {
    const t = this.outTensor(k);
    if (this.values[t.index]) this.fail(`output '${t.name}' is written twice`);
    if (this.model.buffer(t.buffer, t.name)) this.fail(`output '${t.name}' is a constant tensor`);
    const shape = this.shapeOf(t);
    if (shape.h * shape.w * shape.c === 0) this.fail(`output '${t.name}' is empty`);
    const name = this.b.uniqueTensor(t.name.split(';')[0] || `tensor_${t.index}`);
    this.declared.set(name, shape);
    return { name, shape, t };
  }
  /** registers output k as the IR tensor `name` (after its node(s) exist) */
  bind(k: number, name: string, shape: TensorShape): void {
    const t = this.outTensor(k);
    this.values[t.index] = { kind: 'act', name, shape, dims: t.shape };
    this.b.addUses(name, this.uses[t.index]);
  }
  /** the node name for this op */
  nodeName(): string {
    const t = this.outTensor(0);
    return this.b.uniqueNode(t.name.split(';')[0] || `op_${this.op.index}`);
  }
  opts(): Table | null {
    return this.op.options;
  }
  range(t: TfTensor): ReturnType<typeof activationRange> {
    return activationRange(this.file, t);
  }
  fused(code: number): Interval | null {
    switch (code) {
      case 0:
        return null;
      case 1:
        return [0, Infinity];
      case 2:
        return [-1, 1];
      case 3:
        return [0, 6];
      default:
        return this.fail(`fused activation ${code === 4 ? 'TANH' : code === 5 ? 'SIGN_BIT' : `#${code}`} is not supported`);
    }
  }
}
