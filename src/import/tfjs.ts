/**
 * TF.js graph-model importer: model.json + weight shards -> a ModelSource (IR graph).
 *
 *   const src = importTfjs(readFileSync('selfie.json', 'utf8'), (p) => readFileSync(join(dir, p)), 'selfie.json');
 *   const model = await runtime.load(src);
 *
 * Steps: parse and check the JSON (tfjs_format.ts); read and dequantize the weights
 * (float16, uint8/uint16 affine); rewrite hard-swish / hard-sigmoid subgraphs into
 * activations (tfjs_patterns.ts); lower the nodes the requested outputs need to IR nodes
 * (tfjs_lower.ts, tfjs_ops.ts, tfjs_conv.ts). Known models (tfjs_presets.ts: CenterNet, RVM,
 * MediaPipe selfie) get their outputs, task and preprocessing filled in. Every problem with
 * the file is a ModelFormatError naming the file and the node or weight.
 *
 * Outputs: `opts.outputs` names TF nodes ("name" or "name:1"); a unique suffix after a '/'
 * is enough ("lraspp/mul"). The IR graph's outputs carry exactly the requested names.
 */
import type { Graph } from '../graph/ir.js';
import type { ModelSource, ModelTask } from '../model/source.js';
import type { Preprocess } from '../model/preprocess.js';
import { ModelFormatError } from './errors.js';
import { parseModelJson, toTfNodes, readTfjsWeights, constValue, normRef, refNode, type TfNode } from './tfjs_format.js';
import type { HostTensor } from './tfjs_host.js';
import { rewriteHardActivations } from './tfjs_patterns.js';
import { Lowering, type LowerOptions } from './tfjs_lower.js';
import { lowerNode } from './tfjs_ops.js';
import { detectPreset } from './tfjs_presets.js';

export { RVM_ENCODER_SUFFIX, RVM_LRASPP_SUFFIX } from './tfjs_presets.js';

export interface TfjsImportOptions extends LowerOptions {
  /** TF nodes to expose as the graph outputs (default: the preset's, else the signature's) */
  outputs?: string[];
  name?: string;
  task?: ModelTask;
  preprocess?: Preprocess;
}

export interface TfjsImportReport {
  /** recognised model (tfjs_presets.ts), if any */
  preset?: string;
  /** op histogram of the whole file */
  fileOps: Record<string, number>;
  /** op histogram of the nodes the outputs need, after the pattern rewrite */
  usedOps: Record<string, number>;
  hardSwish: number;
  hardSigmoid: number;
  irNodes: number;
  /** parse + weights + lowering, milliseconds */
  importMs: number;
}

export interface TfjsModelSource extends ModelSource {
  readonly report: TfjsImportReport;
}

const histogram = (ops: string[]): Record<string, number> => {
  const h: Record<string, number> = {};
  for (const o of ops) h[o] = (h[o] ?? 0) + 1;
  return h;
};

/** "x", "x:1", or a unique "/"-suffix of a node name -> a normalized ref */
function resolveOutput(tf: Map<string, TfNode>, o: string, file: string): string {
  const ref = normRef(o.trim());
  const base = refNode(ref);
  const idx = ref.slice(base.length);
  if (tf.has(base)) return ref;
  const hits = [...tf.keys()].filter((k) => k.endsWith(`/${base}`));
  if (hits.length === 1) return hits[0] + idx;
  if (hits.length > 1) throw new ModelFormatError(file, `requested output '${o}' matches ${hits.length} nodes (${hits.slice(0, 3).join(', ')}${hits.length > 3 ? ', ...' : ''}); give more of the name`);
  throw new ModelFormatError(file, `requested output '${o}' is not a node of the graph`);
}

export function importTfjs(modelJson: string | object, readWeights: (path: string) => Uint8Array, file: string, opts: TfjsImportOptions = {}): TfjsModelSource {
  const t0 = performance.now();
  const m = parseModelJson(modelJson, file);
  const tf = toTfNodes(m);
  const fileOps = histogram([...tf.values()].map((n) => n.op));
  const preset = detectPreset(tf);
  const weights = readTfjsWeights(m, readWeights, file);

  const wanted = opts.outputs ?? preset?.outputs ?? Object.values(m.signature?.outputs ?? {}).map((s) => s.name);
  if (!wanted.length) throw new ModelFormatError(file, 'no outputs requested and the model has no signature outputs');
  const names = [...new Set(wanted)];
  const outputs = names.map((o) => ({ name: normRef(o), ref: resolveOutput(tf, o, file) }));

  const cache = new Map<string, number | undefined>();
  const scalarConst = (ref: string): number | undefined => {
    if (cache.has(ref)) return cache.get(ref);
    let n = tf.get(refNode(ref));
    while (n && (n.op === 'Identity' || n.op === 'StopGradient') && n.inputs.length === 1) n = tf.get(refNode(n.inputs[0]));
    let v: number | undefined;
    if (n?.op === 'Const') {
      let t: HostTensor | undefined;
      try {
        t = constValue(n, weights, file);
      } catch {
        t = undefined;
      }
      if (t && t.data.length === 1 && t.dtype === 'float32') v = t.data[0];
    }
    cache.set(ref, v);
    return v;
  };
  const protect = new Set(outputs.map((o) => o.ref));
  const stats = rewriteHardActivations(tf, scalarConst, protect);

  const L = new Lowering(file, tf, weights, protect, {
    inputHeight: opts.inputHeight ?? preset?.defaultSize?.[0],
    inputWidth: opts.inputWidth ?? preset?.defaultSize?.[1],
    constants: { ...preset?.constants, ...opts.constants },
  }, lowerNode);
  const order = L.order(outputs.map((o) => o.ref));
  for (const n of order) L.run(n);
  const name = opts.name ?? file.replace(/^.*[\\/]/, '').replace(/\.json$/i, '');
  const g = L.finish(name, outputs);
  const { h, w } = g.inputs[0].shape;
  const report: TfjsImportReport = {
    preset: preset?.id,
    fileOps,
    usedOps: histogram(order.map((n) => n.op)),
    hardSwish: stats.hardSwish,
    hardSigmoid: stats.hardSigmoid,
    irNodes: g.nodes.length,
    importMs: performance.now() - t0,
  };
  return {
    name,
    report,
    task: opts.task ?? preset?.task,
    preprocess: opts.preprocess ?? preset?.preprocess(h, w),
    // passes are pure, but hand out a copy so no caller can alter the imported weights
    graph: (): Graph => structuredClone(g),
  };
}
