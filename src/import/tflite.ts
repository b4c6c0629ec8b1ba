/**
 * TFLite (.tflite flatbuffer) importer -> IR graph + preprocessing + task.
 *
 * The runtime is float: weights are dequantized at load (uint8 asymmetric, int8 per-channel,
 * int32 biases, float16 behind DEQUANTIZE), QUANTIZE / DEQUANTIZE of activations are
 * identities, and a quantized activation's representable range becomes a clamp where it can
 * cut values (TOCO's uint8 MobileNetV3 has its ReLU / ReLU6 / hard-sigmoid only as such
 * ranges). A uint8 / int8 input is taken in its dequantized domain; the Preprocess expresses
 * the quantization, so images go in as usual.
 *
 * Every problem with the file is a ModelFormatError naming the file, the operator / tensor
 * and the reason (see tflite_schema.ts for the bounds-checked reading).
 */
import { ModelFormatError } from './errors.js';
import { parseTfliteModel, Builtin, builtinName, OptionsType, TensorType, type TfModel, type TfSubGraph } from './tflite_schema.js';
import { activationRange, typeName } from './tflite_tensors.js';
import { GraphBuilder, ALL, type ClampPolicy, type Value } from './tflite_builder.js';
import { OpContext } from './tflite_context.js';
import { convertConv, convertFullyConnected, convertConvTranspose, convertBinary } from './tflite_ops.js';
import { convertPool, convertMean, convertReshape, convertSoftmax, convertConcat, convertPad, convertResizeBilinear, convertActivation, convertQuantize } from './tflite_layers.js';
import { type Graph, type TensorShape, GraphError } from '../graph/ir.js';
import { inferShapes } from '../graph/shapes.js';
import { buildQuantProgram } from './tflite_quant.js';
import type { QProgram } from '../graph/qprogram.js';
import type { Preprocess } from '../model/preprocess.js';
import type { ModelSource, ModelTask } from '../model/source.js';

export type { ClampPolicy };

export interface TfliteImportOptions {
  /**
   * Which quantized output ranges become clamps.
   * - 'all': every range that can cut values: TFLite's saturation, exactly.
   * - 'activations': only bounds at 0, 1 and 6, the ReLU / ReLU6 / hard-sigmoid kinks;
   *   calibration extremes are dropped (what the float model computes), which keeps
   *   squeeze-excite blocks fusable.
   * - 'auto' (default): 'all' for files with uint8 activations (TOCO quantization-aware
   *   training: the ranges were trained in, and activations exist only as ranges), else
   *   'activations' (int8 post-training quantization: calibration statistics of a float model
   *   whose activations the file states explicitly).
   */
  clamps?: ClampPolicy | 'auto';
  /** model name (default: the file name without directory and extension) */
  name?: string;
}

export interface TfliteImport {
  graph: Graph;
  preprocess?: Preprocess;
  task: ModelTask;
  description: string;
  /** TFLite type of the graph input */
  inputType: string;
  /** the clamp policy used */
  clamps: ClampPolicy;
  /** operator histogram of the file (builtin names, custom op names) */
  ops: Record<string, number>;
}

/** BuiltinOptions union member each supported op must carry (when it carries one) */
const OPTIONS: Partial<Record<number, number>> = {
  [Builtin.CONV_2D]: OptionsType.Conv2DOptions, [Builtin.DEPTHWISE_CONV_2D]: OptionsType.DepthwiseConv2DOptions, [Builtin.AVERAGE_POOL_2D]: OptionsType.Pool2DOptions,
  [Builtin.MAX_POOL_2D]: OptionsType.Pool2DOptions, [Builtin.SOFTMAX]: OptionsType.SoftmaxOptions, [Builtin.CONCATENATION]: OptionsType.ConcatenationOptions,
  [Builtin.ADD]: OptionsType.AddOptions, [Builtin.RESIZE_BILINEAR]: OptionsType.ResizeBilinearOptions, [Builtin.RESHAPE]: OptionsType.ReshapeOptions,
  [Builtin.MUL]: OptionsType.MulOptions, [Builtin.PAD]: OptionsType.PadOptions, [Builtin.MEAN]: OptionsType.ReducerOptions, [Builtin.SUB]: OptionsType.SubOptions,
  [Builtin.FULLY_CONNECTED]: 8,
};

const IDENTITY_LIKE = new Set<number>([Builtin.QUANTIZE, Builtin.DEQUANTIZE, Builtin.RESHAPE, Builtin.SQUEEZE]);

export function parseTflite(bytes: Uint8Array, file: string, opts: TfliteImportOptions = {}): TfliteImport {
  try {
    return build(bytes, file, opts);
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    if (e instanceof GraphError) throw new ModelFormatError(file, `the imported graph is invalid: ${e.message}`, e.node);
    // last line of defence: a malformed file must never escape as another error type
    const err = e as Error;
    throw new ModelFormatError(file, `unexpected ${err?.name ?? 'error'} while importing: ${err?.message ?? String(e)}`);
  }
}

function build(bytes: Uint8Array, file: string, opts: TfliteImportOptions): TfliteImport {
  if (!(bytes instanceof Uint8Array)) throw new ModelFormatError(file, 'expected the file contents as a Uint8Array');
  const model = parseTfliteModel(bytes, file);
  const sg = model.subgraphs[0];
  const fail = (reason: string, tensor?: string): never => {
    throw new ModelFormatError(file, reason, tensor);
  };
  if (!sg) fail('the model has no subgraph');
  const nT = sg.tensors.length;
  const uses = new Array<number>(nT).fill(0);
  for (const op of sg.operators) {
    for (const i of [...op.inputs, ...op.outputs]) if (!(i >= -1 && i < nT)) fail(`operator #${op.index} refers to tensor index ${i} (the subgraph has ${nT})`);
    for (const i of op.inputs) if (i >= 0) uses[i]++;
  }
  for (const i of [...sg.inputs, ...sg.outputs]) if (!(i >= 0 && i < nT)) fail(`graph input/output tensor index ${i} is out of range (${nT} tensors)`);
  for (const i of sg.outputs) uses[i]++;
  if (sg.inputs.length !== 1) fail(`the model has ${sg.inputs.length} inputs; only single-input models are supported`);

  const uint8Acts = sg.tensors.some((t) => t.type === TensorType.UINT8 && t.quant && !model.buffer(t.buffer, t.name));
  const policy: ClampPolicy = !opts.clamps || opts.clamps === 'auto' ? (uint8Acts ? 'all' : 'activations') : opts.clamps;
  const b = new GraphBuilder(policy);
  const values: (Value | undefined)[] = new Array(nT);
  const declared = new Map<string, TensorShape>();
  // ---- the input ----
  const it = sg.tensors[sg.inputs[0]];
  if (it.shape.length !== 4) fail(`input shape [${it.shape.join(', ')}] is not NHWC [1, H, W, C]`, it.name);
  if (it.shape[0] !== 1) fail(`input batch ${it.shape[0]} is not supported (only batch 1)`, it.name);
  if (!it.shape.every((d) => Number.isInteger(d) && d >= 1 && d <= 16384)) fail(`input shape [${it.shape.join(', ')}] is invalid`, it.name);
  if (it.type !== TensorType.FLOAT32 && it.type !== TensorType.UINT8 && it.type !== TensorType.INT8) fail(`input type ${typeName(it.type)} is not supported`, it.name);
  const inRange = activationRange(file, it);
  const inShape: TensorShape = { h: it.shape[1], w: it.shape[2], c: it.shape[3] };
  const inName = b.uniqueTensor(it.name.split(';')[0] || 'input');
  b.declare(inName, inRange ? [inRange.lo, inRange.hi] : ALL, uses[it.index]);
  values[it.index] = { kind: 'act', name: inName, shape: inShape, dims: it.shape };
  declared.set(inName, inShape);

  // ---- operators ----
  const ops: Record<string, number> = {};
  const softmaxed = new Set<number>();
  const sigmoided = new Set<number>();
  for (const op of sg.operators) {
    const oc = model.opcodes[op.opcode];
    if (!oc) fail(`operator #${op.index} uses opcode index ${op.opcode}, but the model has ${model.opcodes.length} operator codes`);
    const name = oc.builtin === Builtin.CUSTOM ? (oc.custom ?? 'CUSTOM') : builtinName(oc.builtin);
    ops[name] = (ops[name] ?? 0) + 1;
    const ctx = new OpContext(file, model, sg, b, values, uses, declared, op, name);
    if (op.outputs.length !== 1) ctx.fail(`${op.outputs.length} outputs (expected 1)`);
    const want = OPTIONS[oc.builtin];
    if (op.optionsType !== 0 && want !== undefined && op.optionsType !== want) ctx.fail(`builtin options of type #${op.optionsType}, expected #${want}`);
    convert(ctx, oc.builtin, name);
    for (const i of op.inputs) {
      const v = i >= 0 ? values[i] : undefined;
      if (v?.kind === 'act') b.consumed(v.name);
    }
    const inp = op.inputs[0];
    if (oc.builtin === Builtin.SOFTMAX || (IDENTITY_LIKE.has(oc.builtin) && softmaxed.has(inp))) softmaxed.add(op.outputs[0]);
    if (oc.builtin === Builtin.LOGISTIC || (IDENTITY_LIKE.has(oc.builtin) && sigmoided.has(inp))) sigmoided.add(op.outputs[0]);
  }

  // ---- outputs, validation ----
  const outputs = sg.outputs.map((i) => {
    const v = values[i];
    if (!v) return fail('graph output is never produced', sg.tensors[i].name);
    if (v.kind !== 'act') return fail('graph output is a constant', sg.tensors[i].name);
    return v.name;
  });
  const g = b.graph(opts.name ?? defaultName(file), [{ name: inName, shape: inShape }], outputs);
  const shapes = inferShapes(g);
  for (const [n, s] of declared) {
    const got = shapes.get(n);
    if (got && (got.h !== s.h || got.w !== s.w || got.c !== s.c)) {
      fail(`the file declares shape ${s.h}x${s.w}x${s.c} but the operators compute ${got.h}x${got.w}x${got.c}`, n);
    }
  }
  const task = detectTask(sg, inShape, softmaxed, sigmoided);
  return { graph: g, preprocess: preprocessOf(it.type, inRange ? it.quant : null, inShape, task), task, description: model.description, inputType: typeName(it.type), clamps: policy, ops };
}

function convert(ctx: OpContext, code: number, name: string): void {
  switch (code) {
    case Builtin.CONV_2D:
      return convertConv(ctx, false);
    case Builtin.DEPTHWISE_CONV_2D:
      return convertConv(ctx, true);
    case Builtin.FULLY_CONNECTED:
      return convertFullyConnected(ctx);
    case Builtin.TRANSPOSE_CONV:
      return convertConvTranspose(ctx, false);
    case Builtin.ADD:
      return convertBinary(ctx, 'add');
    case Builtin.SUB:
      return convertBinary(ctx, 'sub');
    case Builtin.MUL:
      return convertBinary(ctx, 'mul');
    case Builtin.AVERAGE_POOL_2D:
      return convertPool(ctx, 'avg');
    case Builtin.MAX_POOL_2D:
      return convertPool(ctx, 'max');
    case Builtin.MEAN:
      return convertMean(ctx);
    case Builtin.RESHAPE:
    case Builtin.SQUEEZE:
      return convertReshape(ctx);
    case Builtin.SOFTMAX:
      return convertSoftmax(ctx);
    case Builtin.CONCATENATION:
      return convertConcat(ctx);
    case Builtin.PAD:
      return convertPad(ctx);
    case Builtin.RESIZE_BILINEAR:
      return convertResizeBilinear(ctx);
    case Builtin.HARD_SWISH:
      return convertActivation(ctx, 'hswish');
    case Builtin.LOGISTIC:
      return convertActivation(ctx, 'sigmoid');
    case Builtin.RELU:
      return convertActivation(ctx, [0, Infinity]);
    case Builtin.RELU6:
      return convertActivation(ctx, [0, 6]);
    case Builtin.RELU_N1_TO_1:
      return convertActivation(ctx, [-1, 1]);
    case Builtin.QUANTIZE:
    case Builtin.DEQUANTIZE:
      return convertQuantize(ctx);
    case Builtin.CUSTOM:
      if (name === 'Convolution2DTransposeBias') return convertConvTranspose(ctx, true);
      return ctx.fail(`custom operator '${name}' is not supported`);
    default:
      return ctx.fail(`operator ${name} is not supported`);
  }
}

function detectTask(sg: TfSubGraph, input: TensorShape, softmaxed: Set<number>, sigmoided: Set<number>): ModelTask {
  const o = sg.outputs[0];
  const d = sg.tensors[o].shape;
  const classes = d[d.length - 1];
  const spatial = d.slice(1, -1).reduce((a, v) => a * v, 1);
  if ((classes === 1001 || classes === 1000) && spatial === 1) return { kind: 'classification', labelOffset: classes === 1001 ? 1 : 0, softmax: softmaxed.has(o) };
  if (d.length === 4 && classes === 1 && sigmoided.has(o) && d[1] * 4 >= input.h && d[2] * 4 >= input.w) return { kind: 'segmentation', format: 'sigmoid-mask' };
  return { kind: 'features' };
}

/** How an RGB image becomes the input: value = (p/255 - mean) / std reproduces the quantization. */
function preprocessOf(type: number, quant: TfModel['subgraphs'][number]['tensors'][number]['quant'], s: TensorShape, task: ModelTask): Preprocess | undefined {
  if (s.c !== 3) return undefined;
  const crop = task.kind === 'classification' ? 0.875 : 1;
  const rgb = (mean: number, std: number): Preprocess => ({ height: s.h, width: s.w, colorOrder: 'rgb', mean: [mean, mean, mean], std: [std, std, std], crop });
  if (!quant) return rgb(0, 1);
  // real = scale * (q - zp), q = p (uint8) or p - 128 (int8)
  const scale = quant.scale[0];
  const zp = (quant.zeroPoint[0] ?? 0) + (type === TensorType.INT8 ? 128 : 0);
  return rgb(zp / 255, 1 / (255 * scale));
}

const defaultName = (file: string): string => file.replace(/^.*[\\/]/, '').replace(/\.tflite$/i, '');

/** A TFLite model as a ModelSource for Runtime.load (parsed and validated now). */
export function importTflite(bytes: Uint8Array, file: string, opts: TfliteImportOptions = {}): ModelSource & { info: TfliteImport } {
  const info = parseTflite(bytes, file, opts);
  const quantized = info.inputType !== 'FLOAT32' || Object.keys(info.ops).includes('QUANTIZE');
  let program: QProgram | null = null;
  return {
    name: info.graph.name,
    graph: () => info.graph,
    ...(quantized ? { quantProgram: () => (program ??= buildQuantProgram(parseTfliteModel(bytes, file), file, info.graph.name)) } : {}),
    ...(info.preprocess ? { preprocess: info.preprocess } : {}),
    task: info.task,
    info,
  };
}
