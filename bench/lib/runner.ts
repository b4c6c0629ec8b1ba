/**
 * The contract between a benchmark job (lib/job.ts) and the runners of each family
 * (peers/run_*.ts): what the host provides, what a runner does. Both sides import this.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type * as OrtCommon from 'onnxruntime-common';
import type { Job, Where, DispatchTime } from './types.js';

export type Tf = typeof tfjs;
export type Ort = typeof OrtCommon;

/** What differs between the page and Node. */
export interface Host {
  where: Where;
  fetchBytes(locator: string): Promise<ArrayBuffer>;
  /** imports TF.js with `backend` registered, set and ready */
  loadTf(backend: string): Promise<Tf>;
  /** onnxruntime-web (webgpu / wasm build) in the page, onnxruntime-node in Node */
  loadOrt(backend: string): Promise<Ort>;
  /** TF.js wasm backend's thread count (after loadTf('wasm')) */
  tfWasmThreads?(): number;
  /** the page: @litertjs/core with its wasm served from node_modules (/wasm/litert/) */
  loadLitert?(backend: string): Promise<Record<string, unknown>>;
  /** the page: @mediapipe/tasks-vision and its wasm fileset (/wasm/mediapipe/) */
  loadMediapipe?(): Promise<{ vision: Record<string, unknown>; fileset: unknown }>;
  /** src/import/<kind>.ts if it exists, else null */
  loadImporter(kind: 'tfjs' | 'onnx' | 'tflite'): Promise<Record<string, unknown> | null>;
}

/** The configuration cannot run here (not a failure): backend missing, importer pending. */
export class SkipError extends Error {
  override name = 'SkipError';
}

export interface PreparedInputs {
  nhwc: Float32Array;
  nchw: Float32Array;
  /** ir models: serialized graph */
  graphJson?: string;
  graphBin?: Float32Array;
  onnx?: Uint8Array;
  /** tflite-file: the file's bytes and the model-size RGBA pixels */
  tflite?: Uint8Array;
  pixelsRgba?: Uint8Array;
}

export interface Runner {
  /** one inference from the CPU input to every output back in CPU memory; returns the compared output */
  run(): Promise<Float32Array>;
  /** layout of what run() returns */
  layout: 'nhwc' | 'nchw' | 'flat';
  dispatches?: number;
  info: Record<string, string | number | boolean>;
  /** GPU time of one run from timestamp queries, per dispatch */
  gpuProfile?(): Promise<DispatchTime[]>;
  dispose(): void;
}

export type RunnerFactory = (job: Job, host: Host, inputs: PreparedInputs) => Promise<Runner>;
