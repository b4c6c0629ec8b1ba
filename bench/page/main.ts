/// <reference types="vite/client" />
/**
 * The bench page. The driver opens it in a freshly launched chromium, then calls
 * `window.__bench.run(job)` once (one configuration on one model) or `window.__bench.env()`
 * (browser / adapter description). Served from loopback with COOP/COEP, so wasm threads
 * (SharedArrayBuffer) are available to TF.js wasm and ORT wasm.
 */
import { runJob, type Host, type Tf, type Ort } from '../lib/job.js';
import '../peers/index.js';
import type { Job, JobResult } from '../lib/types.js';

const importers = import.meta.glob('../../src/import/{tfjs,onnx,tflite}.ts');

let tfWasm: typeof import('@tensorflow/tfjs-backend-wasm') | null = null;

const host: Host = {
  where: 'browser',
  async fetchBytes(url) {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`fetch ${url}: HTTP ${r.status}`);
    return r.arrayBuffer();
  },
  async loadTf(backend) {
    const tf = (await import('@tensorflow/tfjs')) as unknown as Tf;
    if (backend === 'wasm') {
      tfWasm = await import('@tensorflow/tfjs-backend-wasm');
      tfWasm.setWasmPaths('/wasm/tfjs/');
    } else if (backend === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') returned false`);
    await tf.ready();
    if (tf.getBackend() !== backend) throw new Error(`TF.js is on '${tf.getBackend()}', not '${backend}'`);
    return tf;
  },
  tfWasmThreads: () => tfWasm?.getThreadsCount() ?? 0,
  async loadOrt(backend) {
    const ort = (backend === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm')) as unknown as Ort;
    ort.env.wasm.wasmPaths = '/wasm/ort/';
    return ort;
  },
  async loadLitert(backend) {
    const litert = (await import('@litertjs/core')) as unknown as Record<string, unknown> & { loadLiteRt(p: string, o: object): Promise<unknown> };
    // wasm: the threaded XNNPACK build (2 workers here); webgpu: the JSPI build, which lets
    // LiteRT partition ops it cannot run on WebGPU back to wasm (threads and jspi exclude each other)
    const threads = backend === 'wasm' && crossOriginIsolated;
    await litert.loadLiteRt('/wasm/litert/', threads ? { threads: true } : { jspi: true });
    return { ...litert, threads, jspi: !threads };
  },
  async loadMediapipe() {
    const vision = (await import('@mediapipe/tasks-vision')) as unknown as Record<string, unknown> & { FilesetResolver: { forVisionTasks(p: string): Promise<unknown> } };
    const fileset = await vision.FilesetResolver.forVisionTasks('/wasm/mediapipe');
    return { vision, fileset };
  },
  async loadImporter(kind) {
    const load = importers[`../../src/import/${kind}.ts`];
    return load ? ((await load()) as Record<string, unknown>) : null;
  },
};

interface EnvInfo {
  userAgent: string;
  hardwareConcurrency: number;
  crossOriginIsolated: boolean;
  adapter: Record<string, string> | null;
  adapterFeatures: string[];
  webgl: string | null;
}

async function env(): Promise<EnvInfo> {
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
  const info = adapter?.info;
  let webgl: string | null = null;
  const gl = document.createElement('canvas').getContext('webgl2');
  if (gl) {
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    webgl = `${gl.getParameter(gl.VERSION)}; ${ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)}`;
  }
  return {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated,
    adapter: info ? { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description } : null,
    adapterFeatures: adapter ? [...adapter.features].sort() : [],
    webgl,
  };
}

declare global {
  interface Window {
    __bench: { run(job: Job): Promise<JobResult>; env(): Promise<EnvInfo> };
  }
}

const status = document.getElementById('status')!;
window.__bench = {
  async run(job) {
    status.textContent = `running ${job.config.id} on ${job.model.id}`;
    const r = await runJob(job, host);
    status.textContent = `${job.config.id} on ${job.model.id}: ${r.status}`;
    return r;
  },
  env,
};
