/**
 * `--node` mode: one job in a fresh Node process (spawned by bench/lib/node_jobs.ts):
 *   node --import tsx bench/node_worker.ts <job.json> <result.json>
 * Ours on WebGPU uses the `webgpu` package (Dawn; SwiftShader's Vulkan ICD without a GPU),
 * TF.js uses its pure-JS cpu or wasm backend, ORT is onnxruntime-node (CPU EP).
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { runJob, type Host, type Tf, type Ort } from './lib/job.js';
import './peers/index.js';
import { fileFetch } from './lib/models.js';
import type { Job } from './lib/types.js';

const [jobFile, outFile] = process.argv.slice(2);
const job = JSON.parse(readFileSync(jobFile, 'utf8')) as Job;

let tfWasm: typeof import('@tensorflow/tfjs-backend-wasm') | null = null;

const host: Host = {
  where: 'node',
  fetchBytes: fileFetch,
  async loadTf(backend) {
    const tf = (await import('@tensorflow/tfjs')) as unknown as Tf;
    if (backend === 'wasm') tfWasm = await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') returned false`);
    await tf.ready();
    return tf;
  },
  tfWasmThreads: () => tfWasm?.getThreadsCount() ?? 0,
  async loadOrt(backend) {
    if (backend !== 'cpu') throw new Error(`onnxruntime-node: EP '${backend}' is not benchmarked in Node`);
    return (await import('onnxruntime-node')) as unknown as Ort;
  },
  async loadImporter(kind) {
    const file = path.resolve(`src/import/${kind}.ts`);
    return existsSync(file) ? ((await import(pathToFileURL(file).href)) as Record<string, unknown>) : null;
  },
};

const result = await runJob(job, host);
result.info = { ...result.info, node: process.version };
writeFileSync(outFile, JSON.stringify(result));
process.exit(0);
