/**
 * ONNX importer: ModelProto bytes (decoded with onnx-proto's protobufjs decoder) -> IR graph
 * as a ModelSource.
 *
 * - Activations are NCHW in ONNX and NHWC in the IR; the transpose happens here, once, at
 *   import (constants that become IR tensors are transposed; weights need none).
 * - Batch must be 1. Dynamic H/W take their size from the options (or a per-model default
 *   for the PaddleOCR exports); everything downstream is then static, so Shape/Gather/Cast/
 *   Slice/Concat chains are constant-folded (onnx_fold.ts).
 * - The decomposed hard-swish/hard-sigmoid of Paddle2ONNX exports is recognised first
 *   (onnx_patterns.ts) so imported MobileNetV3 graphs get the native dispatch count.
 * - Every failure is a ModelFormatError naming the file, the node (name and op type) or
 *   tensor, and the reason; protobuf decode errors included.
 */
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import { type Graph, type Node, GraphError, nodeInputs } from '../graph/ir.js';
import { inferShapes } from '../graph/shapes.js';
import type { ModelSource, ModelTask } from '../model/source.js';
import type { Preprocess } from '../model/preprocess.js';
import { ModelFormatError } from './errors.js';
import { type ConstVal, Attrs, OnnxDataError, constantNodeValue, decodeTensor, dtypeName, int, DTYPE } from './onnx_tensor.js';
import { ImportContext, type NodeInfo, MAX_DIM } from './onnx_ctx.js';
import { foldNode } from './onnx_fold.js';
import { rewriteHardActivations } from './onnx_patterns.js';
import { NN_CONVERTERS, type Converter } from './onnx_ops_nn.js';
import { BASIC_CONVERTERS } from './onnx_ops_basic.js';
import { RESIZE_CONVERTERS } from './onnx_ops_resize.js';

export interface OnnxImportOptions {
  /** input height for a model whose input H is dynamic (a fixed H must match) */
  inputHeight?: number;
  /** input width for a model whose input W is dynamic (a fixed W must match) */
  inputWidth?: number;
  /** model name (default: the file name without extension) */
  name?: string;
}

const CONVERTERS: Record<string, Converter> = { ...NN_CONVERTERS, ...BASIC_CONVERTERS, ...RESIZE_CONVERTERS };

/** PaddleOCR conventions (PaddleOCR tools/infer: images are read BGR by OpenCV). */
const PADDLE_DET_SIZE = 640; // the detector export declares a 640x640 output
const PADDLE_CLS_SIZE: [number, number] = [48, 192]; // PaddleOCR cls_image_shape 3,48,192

type Flavour = 'paddle-det' | 'paddle-cls' | 'other';

function decode(bytes: Uint8Array, file: string): onnx.ModelProto {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new ModelFormatError(file, 'empty input (no ONNX bytes)');
  try {
    return onnxProto.onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelFormatError(file, `not a valid ONNX protobuf (truncated or corrupted): ${(e as Error).message}`);
  }
}

/** Declared dims; undefined for symbolic ones (dim_param, unset, or Paddle's -1). */
const dimsOf = (vi: onnx.IValueInfoProto | undefined): (number | undefined)[] | undefined =>
  vi?.type?.tensorType?.shape?.dim?.map((d) => {
    const v = d.dimValue !== null && d.dimValue !== undefined && !d.dimParam ? int(d.dimValue, 'dimension') : 0;
    return v > 0 ? v : undefined;
  });

function flavourOf(m: onnx.ModelProto, g: onnx.IGraphProto): Flavour {
  const paddle = /paddle/i.test(m.producerName ?? '') || (g.node ?? []).some((n) => n.name?.startsWith('p2o.'));
  if (!paddle || g.output?.length !== 1) return 'other';
  const d = dimsOf(g.output[0]);
  if (d?.length === 2) return 'paddle-cls';
  if (d?.length === 4 && d[1] === 1) return 'paddle-det';
  return 'other';
}

/** Renames IR tensor `from` to `to` everywhere (graph outputs keep their ONNX names). */
function renameTensor(nodes: Node[], from: string, to: string): void {
  const r = (t: string): string => (t === from ? to : t);
  for (const n of nodes as unknown as Record<string, unknown>[]) {
    if (n.output === from) n.output = to;
    if (typeof n.input === 'string') n.input = r(n.input);
    if (Array.isArray(n.inputs)) n.inputs = (n.inputs as string[]).map(r);
    if (typeof n.scale === 'string') n.scale = r(n.scale);
    const ep = n.epilogue as { residual?: string } | undefined;
    if (ep?.residual) ep.residual = r(ep.residual);
    const pr = n.prologue as { seScale: string } | undefined;
    if (pr) pr.seScale = r(pr.seScale);
  }
}

/** Drops nodes whose outputs no graph output depends on (e.g. what only fed a Shape). */
function deadCodeEliminate(nodes: Node[], outputs: string[]): Node[] {
  const live = new Set(outputs);
  const keep: Node[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!live.has(nodes[i].output)) continue;
    keep.push(nodes[i]);
    for (const t of nodeInputs(nodes[i])) live.add(t);
  }
  return keep.reverse();
}

export function importOnnx(bytes: Uint8Array, file: string, opts: OnnxImportOptions = {}): ModelSource {
  try {
    return importModel(bytes, file, opts);
  } catch (e) {
    // data errors outside any node (opset, input dims) still name the file
    if (e instanceof OnnxDataError) throw new ModelFormatError(file, e.message);
    throw e;
  }
}

function importModel(bytes: Uint8Array, file: string, opts: OnnxImportOptions): ModelSource {
  const model = decode(bytes, file);
  const fail = (reason: string, tensor?: string): never => {
    throw new ModelFormatError(file, reason, tensor);
  };
  const g = model.graph;
  if (!g) return fail('has no graph');
  const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = opsetEntry ? int(opsetEntry.version ?? 0) : 0;
  if (!(opset >= 1 && opset <= 30)) fail(`default-domain opset ${opset} is missing or unknown`);
  const flavour = flavourOf(model, g);

  // --- the graph input
  const initNames = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (g.input ?? []).filter((i) => !initNames.has(i.name ?? ''));
  if (inputs.length !== 1) fail(`has ${inputs.length} graph inputs; exactly one image input is supported`);
  const inp = inputs[0];
  const inName = inp.name ?? '';
  const tt = inp.type?.tensorType;
  if (!tt) fail('graph input is not a tensor', inName);
  if (tt!.elemType !== DTYPE.FLOAT) fail(`graph input has data type ${dtypeName(tt!.elemType)}; only FLOAT is supported`, inName);
  const d = dimsOf(inp);
  if (!d || d.length !== 4) fail(`graph input has ${d ? `rank ${d.length}` : 'no shape'}; expected [N, C, H, W]`, inName);
  if (d![0] !== undefined && d![0] !== 1) fail(`batch size ${d![0]} is unsupported (batch must be 1)`, inName);
  const c = d![1];
  if (c === undefined || c < 1 || c > MAX_DIM) fail('graph input has a dynamic or invalid channel count', inName);
  const defaults = flavour === 'paddle-cls' ? PADDLE_CLS_SIZE : flavour === 'paddle-det' ? [PADDLE_DET_SIZE, PADDLE_DET_SIZE] : [undefined, undefined];
  const hw = ([['inputHeight', 2], ['inputWidth', 3]] as const).map(([opt, i], k) => {
    const fixed = d![i];
    const asked = opts[opt];
    if (asked !== undefined && !(Number.isInteger(asked) && asked >= 1 && asked <= MAX_DIM)) fail(`option ${opt} ${asked} must be a positive integer`);
    if (fixed !== undefined && asked !== undefined && fixed !== asked) fail(`graph input has a fixed ${k ? 'width' : 'height'} ${fixed}; ${opt} ${asked} conflicts`, inName);
    const v = fixed ?? asked ?? defaults[k];
    if (v === undefined || v < 1 || v > MAX_DIM) return fail(`graph input has a dynamic ${k ? 'width' : 'height'}; pass ${opt}`, inName);
    return v;
  });

  // --- nodes: names, uses, constants
  const rawNodes = g.node ?? [];
  const nodes: NodeInfo[] = rawNodes.map((n, i) => ({
    name: n.name || `${n.opType || 'node'}#${i}`,
    opType: n.opType ?? '',
    domain: n.domain === 'ai.onnx' ? '' : (n.domain ?? ''),
    inputs: n.input ?? [],
    outputs: n.output ?? [],
    attrs: new Attrs(n.attribute),
  }));
  const outputs = (g.output ?? []).map((o) => o.name ?? '');
  if (outputs.length === 0) fail('graph has no outputs');
  const uses = new Map<string, number>();
  for (const n of nodes) for (const i of n.inputs) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of outputs) uses.set(o, (uses.get(o) ?? 0) + 1);

  const ctx = new ImportContext(file, opset, uses, new Set(outputs));
  for (const t of g.initializer ?? []) {
    try {
      ctx.setConst(t.name ?? '', decodeTensor(t));
    } catch (e) {
      if (e instanceof OnnxDataError) fail(`initializer ${e.message}`, t.name ?? '');
      throw e;
    }
  }
  const constNode = new Map(nodes.filter((n) => n.opType === 'Constant').map((n) => [n.outputs[0], n]));
  const scalar = (name: string): number | undefined => {
    const v = ctx.vals.get(name);
    if (v?.kind === 'const') return v.data.length === 1 ? v.data[0] : undefined;
    const cn = constNode.get(name);
    if (!cn) return undefined;
    try {
      const cv = constantNodeValue(cn.attrs);
      return cv.data.length === 1 ? cv.data[0] : undefined;
    } catch {
      return undefined;
    }
  };
  const order = rewriteHardActivations(nodes, uses, scalar);
  // readers after the rewrite (a pattern's input loses the readers inside the pattern)
  uses.clear();
  for (const n of order) for (const i of n.inputs) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of outputs) uses.set(o, (uses.get(o) ?? 0) + 1);

  const x = ctx.tensor(inName);
  ctx.setRt(inName, x, [1, c!, hw[0], hw[1]]);
  for (const n of order) {
    if (n.domain !== '') ctx.fail(n, `custom-domain op '${n.domain}.${n.opType}' is unsupported`);
    if (!n.outputs[0]) ctx.fail(n, 'has no output');
    for (const o of n.outputs) if (o && ctx.vals.has(o)) ctx.fail(n, `value '${o}' is produced a second time (the graph is not in SSA form)`, o);
    if (n.opType === 'Constant') {
      ctx.setConst(n.outputs[0], ctx.guard(n, () => constantNodeValue(n.attrs)));
      continue;
    }
    const ins = n.inputs.map((i) => (i ? ctx.vals.get(i) : undefined));
    n.inputs.forEach((name, i) => {
      if (name && !ins[i]) ctx.fail(n, `input '${name}' is not produced by any earlier node, initializer or graph input`, name);
    });
    if (ins.every((v) => !v || v.kind === 'const') && ins.some((v) => v)) {
      const folded = ctx.guard(n, () => foldNode(n.opType, ins as (ConstVal | undefined)[], n.attrs, opset));
      if (folded) {
        ctx.setConst(n.outputs[0], folded);
        continue;
      }
    }
    const conv = CONVERTERS[n.opType];
    if (!conv) ctx.fail(n, `unsupported op type '${n.opType}'`);
    conv(ctx, n);
  }

  // --- outputs keep their ONNX names
  const graphOut: string[] = [];
  const irNames = new Set([x, ...ctx.nodes.map((n) => n.output)]);
  for (const o of outputs) {
    const v = ctx.vals.get(o);
    if (!v) fail('graph output is never produced', o);
    if (v!.kind !== 'rt') fail('graph output is a constant (unsupported)', o);
    const t = (v as { name: string }).name;
    if (t === o) graphOut.push(o);
    else if (t !== x && !graphOut.includes(t) && !irNames.has(o)) {
      renameTensor(ctx.nodes, t, o);
      irNames.add(o);
      graphOut.push(o);
    } else graphOut.push(t);
  }
  const graph: Graph = {
    name: opts.name ?? (file.split(/[\\/]/).pop() ?? file).replace(/\.onnx$/i, ''),
    inputs: [{ name: x, shape: { h: hw[0], w: hw[1], c: c! } }],
    outputs: graphOut,
    nodes: deadCodeEliminate(ctx.nodes, graphOut),
  };
  let shapes: ReturnType<typeof inferShapes>;
  try {
    shapes = inferShapes(graph);
  } catch (e) {
    if (e instanceof GraphError) fail(`the imported graph is invalid: ${e.message}`);
    throw e;
  }
  const { preprocess, task } = describe(flavour, graph, shapes!, hw);
  return {
    name: graph.name,
    graph: () => structuredClone(graph),
    ...(preprocess ? { preprocess } : {}),
    ...(task ? { task } : {}),
  };
}

/** Preprocessing and task from the model's conventions (PaddleOCR) and its output shape. */
function describe(flavour: Flavour, g: Graph, shapes: Map<string, { h: number; w: number; c: number }>, hw: number[]): { preprocess?: Preprocess; task?: ModelTask } {
  const out = shapes.get(g.outputs[0])!;
  const last = g.nodes.find((n) => n.output === g.outputs[0]);
  const base = { height: hw[0], width: hw[1], crop: 1 };
  if (flavour === 'paddle-cls') {
    return {
      preprocess: { ...base, colorOrder: 'bgr', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
      task: { kind: 'classification', labelOffset: 0, softmax: last?.op === 'softmax' },
    };
  }
  if (flavour === 'paddle-det') {
    return {
      preprocess: { ...base, colorOrder: 'bgr', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      task: { kind: 'segmentation', format: 'db-probability' },
    };
  }
  if (out.h === 1 && out.w === 1) return { task: { kind: 'classification', labelOffset: 0, softmax: last?.op === 'softmax' } };
  return {};
}
