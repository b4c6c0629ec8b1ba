/**
 * Our runtime as a bench configuration: WebGPU fused / unfused, the TS CPU path, and the
 * wasm backend when `createRuntime({backend: 'wasm'})` exists (detected at run time).
 * Real model files go through our importers (src/import/{tfjs,onnx}.ts) only when
 * those exist and expose an entry point this adapter recognises; otherwise the row is
 * skipped as "importer pending".
 */
import { createRuntime, type ModelSource, type RuntimeOptions } from '../../src/index.js';
import type { Graph } from '../../src/graph/ir.js';
import { padChannels } from '../../src/graph/layout.js';
import { deserializeGraph } from './ir_serial.js';
import { SkipError, type RunnerFactory, type Host } from '../lib/runner.js';
import type { ModelAssets } from '../lib/types.js';

const isGraph = (v: unknown): v is Graph => typeof v === 'object' && v !== null && Array.isArray((v as Graph).nodes) && Array.isArray((v as Graph).inputs);
const isSource = (v: unknown): v is ModelSource => typeof v === 'object' && v !== null && typeof (v as ModelSource).graph === 'function';

/** The model file through our importer (importTfjs / importOnnx), as a ModelSource. */
async function importedSource(m: ModelAssets, host: Host): Promise<ModelSource> {
  const kind = m.kind === 'tfjs-file' ? 'tfjs' : 'onnx';
  const mod = await host.loadImporter(kind);
  if (!mod) throw new SkipError(`importer pending: src/import/${kind}.ts does not exist yet`);
  const size = { inputHeight: m.input.h, inputWidth: m.input.w };
  let v: unknown;
  if (kind === 'onnx') {
    const importOnnx = mod.importOnnx as ((bytes: Uint8Array, file: string, opts?: object) => unknown) | undefined;
    if (typeof importOnnx !== 'function') throw new SkipError(`importer pending: src/import/onnx.ts exports no importOnnx (exports: ${Object.keys(mod).join(', ')})`);
    v = importOnnx(new Uint8Array(await host.fetchBytes(m.onnx!)), m.onnx!.replace(/^.*\//, ''), size);
  } else {
    const importTfjs = mod.importTfjs as ((json: object, readWeights: (p: string) => Uint8Array, file: string, opts?: object) => unknown) | undefined;
    if (typeof importTfjs !== 'function') throw new SkipError(`importer pending: src/import/tfjs.ts exports no importTfjs (exports: ${Object.keys(mod).join(', ')})`);
    const json = JSON.parse(new TextDecoder().decode(await host.fetchBytes(m.tfjsJson!))) as { weightsManifest: { paths: string[] }[] };
    const dir = m.tfjsJson!.slice(0, m.tfjsJson!.lastIndexOf('/') + 1);
    const shards = new Map<string, Uint8Array>();
    for (const p of json.weightsManifest.flatMap((g) => g.paths)) shards.set(p, new Uint8Array(await host.fetchBytes(dir + p)));
    const read = (p: string): Uint8Array => {
      const b = shards.get(p);
      if (!b) throw new Error(`weight shard '${p}' is not in the manifest`);
      return b;
    };
    v = importTfjs(json, read, m.tfjsJson!.replace(/^.*\//, ''), { ...size, ...(m.outputNames ? { outputs: m.outputNames } : {}) });
  }
  if (isGraph(v)) {
    const g = v;
    return { name: m.id, graph: () => g };
  }
  if (isSource(v)) return v;
  throw new Error(`src/import/${kind}.ts returned neither a Graph nor a ModelSource`);
}

export const createOursRunner: RunnerFactory = async (job, host, inputs) => {
  const { config, model } = job;
  // the source first (an importer that is pending skips the row before any backend work)
  let source: ModelSource;
  if (model.kind === 'ir') {
    const g = deserializeGraph(inputs.graphJson!, inputs.graphBin!);
    source = { name: model.id, graph: () => g };
  } else if (model.kind === 'tflite-file') {
    const mod = await host.loadImporter('tflite');
    const importTflite = mod?.importTflite as ((bytes: Uint8Array, file: string) => ModelSource) | undefined;
    if (typeof importTflite !== 'function') throw new SkipError('importer pending: src/import/tflite.ts exports no importTflite');
    source = importTflite(inputs.tflite!, model.tflite!.replace(/^.*\//, ''));
  } else source = await importedSource(model, host);

  let rt;
  try {
    rt = await createRuntime({ backend: config.backend as RuntimeOptions['backend'], ...(config.wasm ? { wasm: config.wasm } : {}) });
  } catch (e) {
    const msg = (e as Error).message;
    if (config.backend === 'wasm' && /invalid option 'backend'|wasm/i.test(msg)) throw new SkipError(`our wasm backend is not available yet: ${msg}`);
    throw e;
  }
  const m = await rt.load(source, {
    fuse: config.fuse ?? true,
    ...(config.blockFusion !== undefined ? { blockFusion: config.blockFusion } : {}),
    ...(config.im2col !== undefined ? { im2col: config.im2col } : {}),
    ...(config.quantized && source.quantProgram ? { quantized: config.quantized } : {}),
  });
  const { h, w, c } = m.inputShape;
  if (h * w * c !== inputs.nhwc.length) throw new Error(`our model input is ${h}x${w}x${c}, the bench input has ${inputs.nhwc.length} values`);
  const gpu = m.gpuExecutor;
  const padded = padChannels(inputs.nhwc, h * w, c);
  const refLen = model.referenceShape.reduce((a, b) => a * b, 1);
  return {
    layout: 'nhwc',
    dispatches: m.stats.dispatches,
    info: { backend: rt.backend, reason: rt.reason, fuse: config.fuse ?? true, blockFusion: m.blockFusion !== null, im2col: m.im2col, dispatches: m.stats.dispatches, ...(rt.gpu ? { adapter: rt.gpu.adapterName } : {}), ...(rt.wasm ? { wasmThreads: rt.wasm.threads, wasmVariant: rt.wasm.variant } : {}), quantized: m.quantized },
    async run() {
      const outs = await m.runAll(inputs.nhwc);
      const y = outs[model.compareOutput];
      return y?.length === refLen ? y : (outs.find((o) => o.length === refLen) ?? outs[0]);
    },
    gpuProfile: gpu && gpu.device.features.has('timestamp-query') ? () => gpu.profile(padded) : undefined,
    dispose() {
      m.dispose();
      rt.dispose();
    },
  };
};
