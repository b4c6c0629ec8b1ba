/**
 * TF.js 4.22 as a bench configuration (webgpu / webgl / wasm / cpu backends). IR models are
 * translated by tfjs_from_ir; real TF.js graph models (human-models) are loaded from memory
 * with tf.loadGraphModel. A run: tf.tensor4d(input) -> model -> await data() of every output.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { tfjsFromIr } from './tfjs_from_ir.js';
import { deserializeGraph } from './ir_serial.js';
import type { RunnerFactory, Host, Tf } from '../lib/runner.js';
import type { ModelAssets } from '../lib/types.js';

interface ModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tfjs.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
}

/** The graph model's artifacts with every weight shard in one buffer (fetched before timing). */
export async function fetchGraphModelArtifacts(host: Host, jsonLocator: string): Promise<tfjs.io.ModelArtifacts> {
  const json = JSON.parse(new TextDecoder().decode(await host.fetchBytes(jsonLocator))) as ModelJson;
  const dir = jsonLocator.slice(0, jsonLocator.lastIndexOf('/') + 1);
  const shards = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => host.fetchBytes(dir + p)));
  const weightData = new Uint8Array(shards.reduce((a, s) => a + s.byteLength, 0));
  let o = 0;
  for (const s of shards) (weightData.set(new Uint8Array(s), o), (o += s.byteLength));
  return {
    modelTopology: json.modelTopology as tfjs.io.ModelArtifacts['modelTopology'],
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: weightData.buffer,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    signature: json.signature as tfjs.io.ModelArtifacts['signature'],
    userDefinedMetadata: json.userDefinedMetadata as tfjs.io.ModelArtifacts['userDefinedMetadata'],
    modelInitializer: json.modelInitializer as tfjs.io.ModelArtifacts['modelInitializer'],
  };
}

export function backendInfo(tf: Tf, host: Host): Record<string, string | number | boolean> {
  const name = tf.getBackend();
  const info: Record<string, string | number | boolean> = { backend: name, tfjs: tf.version.tfjs };
  if (name === 'webgl') {
    info.webglVersion = tf.env().getNumber('WEBGL_VERSION');
    info.float32 = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  }
  if (name === 'wasm') {
    const g = globalThis as { crossOriginIsolated?: boolean };
    info.crossOriginIsolated = g.crossOriginIsolated ?? false;
    if (host.tfWasmThreads) info.threads = host.tfWasmThreads();
  }
  return info;
}

/** Runs a graph model / translated IR model once (outputs disposed), returns every output. */
export function makeTfjsRun(tf: Tf, predict: (x: tfjs.Tensor4D) => tfjs.Tensor | tfjs.Tensor[], m: ModelAssets, input: Float32Array): () => Promise<Float32Array[]> {
  const shape: [number, number, number, number] = [1, m.input.h, m.input.w, m.input.c];
  return async () => {
    const x = tf.tensor4d(input, shape);
    const y = predict(x);
    const outs = Array.isArray(y) ? y : [y];
    try {
      return (await Promise.all(outs.map((o) => o.data()))) as Float32Array[];
    } finally {
      x.dispose();
      for (const o of outs) o.dispose();
    }
  };
}

export async function loadTfjsFileModel(tf: Tf, artifacts: tfjs.io.ModelArtifacts, outputNames?: string[]): Promise<{ predict: (x: tfjs.Tensor4D) => tfjs.Tensor[]; dispose(): void }> {
  const gm = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  const names = outputNames ?? gm.outputNodes;
  return {
    predict: (x) => {
      const y = gm.execute(x, names);
      return Array.isArray(y) ? y : [y];
    },
    dispose: () => gm.dispose(),
  };
}

export const createTfjsRunner: RunnerFactory = async (job, host, inputs) => {
  const { config, model } = job;
  let artifacts: tfjs.io.ModelArtifacts | undefined;
  if (model.kind === 'tfjs-file') artifacts = await fetchGraphModelArtifacts(host, model.tfjsJson!);
  else if (model.kind !== 'ir') throw new Error(`TF.js cannot run model kind '${model.kind}'`);
  const tf = await host.loadTf(config.backend);
  let predict: (x: tfjs.Tensor4D) => tfjs.Tensor | tfjs.Tensor[];
  let dispose: () => void;
  if (artifacts) {
    const fm = await loadTfjsFileModel(tf, artifacts, model.outputNames);
    ({ predict, dispose } = fm);
  } else {
    const tm = tfjsFromIr(tf, deserializeGraph(inputs.graphJson!, inputs.graphBin!));
    predict = (x) => tm.predict(x);
    dispose = () => tm.dispose();
  }
  const runAll = makeTfjsRun(tf, predict, model, inputs.nhwc);
  return {
    layout: 'nhwc',
    info: backendInfo(tf, host),
    run: async () => (await runAll())[model.compareOutput],
    dispose,
  };
};
