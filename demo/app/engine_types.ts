/**
 * What the demo engine (engine.ts) and the page exchange: status, model info, frame
 * requests and results with their timings. Types only, so the page and the worker client can
 * share them without importing the engine.
 */
import type { Backend, FrameRegion } from '../../src/index.js';
import type { TaskKind } from './catalogue.js';
import type { Decoded } from './decode.js';

export interface EngineStatus {
  thread: 'worker' | 'main';
  backend: Backend | null;
  /** why this backend (the runtime's reason) */
  reason: string;
  adapter: string | null;
  timestampQuery: boolean;
  /** GPU buffers of the live model plus the frame path's own buffers and textures */
  liveGpuBuffers: number;
  modelGpuBuffers: number;
  /** the frame path in use (or the one the next frame will try) */
  framePath: string;
  /** why faster paths were skipped */
  pathNotes: string[];
  /** the page should send VideoFrames (to try the zero-copy path) rather than ImageBitmaps */
  acceptsVideoFrame: boolean;
}

export interface ModelInfo {
  key: string;
  name: string;
  task: TaskKind;
  format: string;
  input: { h: number; w: number };
  dispatches: number;
  params: number;
  backend: Backend;
  loadMs: number;
  note?: string;
}

export interface FrameRequest {
  source: ImageBitmap | VideoFrame;
  /** 'center': the largest central region with the model input's aspect ratio (classification), 'full': all of it */
  roi: 'full' | 'center';
}

export interface Timings {
  preMs: number;
  /** network time: GPU timestamps when `gpuTimed`, else wall time of the run */
  netMs: number;
  /** mapAsync and copies (GPU backend), null on the CPU path */
  readMs: number | null;
  postMs: number;
  totalMs: number;
  gpuTimed: boolean;
}

export interface FrameResult extends Decoded {
  modelKey: string;
  frame: { width: number; height: number };
  roi: FrameRegion;
  timings: Timings;
  path: string;
  dispatches: number;
  status: EngineStatus;
}
