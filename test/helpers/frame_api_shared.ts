/** Shared by the page and the worker of test/e2e/frame_api_browser.test.ts: the report shapes and small helpers. */
import type { FrameResult } from '../../src/index.js';

export const MODEL_URL = '/models/v3-small_224_1.0_uint8.tflite';

export interface FrameCase {
  top1: number;
  framePath: string;
  pixelRead?: string;
  pathNotes: string[];
  dispatches: number;
  /** max |runFrame - model.run| over the logits, relative to the largest logit */
  relDiff: number;
}

export interface PageReport {
  backend: string;
  /** model.run(ImageData) top-1, in class indices (label offset removed) */
  ref: number;
  videoFrame: FrameCase;
  bitmap: FrameCase;
  imageData: FrameCase;
  /** runFrame(bitmap, { roi }) at odd offsets vs model.run on the same region's pixels */
  roiBitmap: FrameCase;
  /** cpu paths: runFrame(VideoFrame) on a fresh model while VideoFrame.copyTo rejects (the canvas fallback) */
  canvasFallback?: FrameCase;
  worker: WorkerReport;
}

export interface WorkerReport {
  error?: string;
  backend?: string;
  /** model.run top-1 in the worker (class index) */
  ref?: number;
  /** runFrame(OffscreenCanvas) in the worker */
  canvas?: FrameCase;
  /** top-1 of every streamed result */
  streamed?: number[];
  stats?: { frames: number; processed: number; dropped: number; errors: number };
  /** VideoFrames the stream closed (dropped ones too) */
  closed?: number;
}

export const argmax = (v: ArrayLike<number>): number => {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
  return b;
};

export function frameCase(r: FrameResult, ref: Float32Array): FrameCase {
  const top = r.result?.kind === 'classification' ? r.result.top5[0].index : -1;
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(r.outputs[0][i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return { top1: top, framePath: r.framePath, pixelRead: r.pixelRead, pathNotes: r.pathNotes, dispatches: r.dispatches, relDiff: d / Math.max(1, m) };
}

