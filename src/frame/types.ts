/**
 * The public per-frame API's types (model.runFrame, model.stream): what a frame can be, the
 * options of a frame run, and its result with the path taken and the timings.
 */
import type { ImageLike } from '../model/preprocess.js';
import type { Decoded } from '../heads/decode.js';

/**
 * Anything a camera app holds a frame as. Browser sources go through the GPU preprocess
 * pass on the webgpu backend; a plain `{data, width, height}` RGBA/RGB image (Node, tests)
 * and every source on the wasm / cpu backends go through the CPU preprocessing.
 */
export type FrameSource =
  | ImageLike
  | ImageData
  | ImageBitmap
  | VideoFrame
  | HTMLVideoElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | GPUTexture;

/** Region of the frame, in frame pixels, that plays the role of the whole image. */
export interface FrameRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * How the frame reached the network:
 * - 'external': importExternalTexture (VideoFrame, HTMLVideoElement): zero-copy, GPU preprocess;
 * - 'copy': copyExternalImageToTexture (ImageBitmap, canvas, ImageData; a VideoFrame through
 *   createImageBitmap first) into a texture, GPU preprocess;
 * - 'texture': the caller's GPUTexture, GPU preprocess;
 * - 'pixels-gpu': pixels read on the CPU, CPU preprocess, writeBuffer (the webgpu backend's last resort);
 * - 'pixels': pixels read on the CPU, CPU preprocess (wasm / cpu backends).
 */
export type FramePath = 'external' | 'copy' | 'texture' | 'pixels-gpu' | 'pixels';

export const FRAME_PATH_TEXT: Record<FramePath, string> = {
  external: 'importExternalTexture → GPU preprocess',
  copy: 'copyExternalImageToTexture → GPU preprocess',
  texture: 'GPUTexture → GPU preprocess',
  'pixels-gpu': 'in-memory pixels, VideoFrame.copyTo or canvas getImageData → CPU preprocess → writeBuffer',
  pixels: 'in-memory pixels, VideoFrame.copyTo or canvas getImageData → CPU preprocess',
};

export interface FrameOptions {
  /**
   * The part of the frame the model sees (the model's own preprocessing, e.g. a central crop,
   * applies inside it). 'full' (default): the whole frame; 'center': the largest central
   * region with the model input's aspect ratio; or a region in frame pixels.
   */
  roi?: 'full' | 'center' | FrameRegion;
  /** class names for classification results (index = class - labelOffset) */
  labels?: readonly string[];
  /** minimum detection score (default 0.3) */
  minScore?: number;
  /** false: skip decoding (result.result is undefined; the raw outputs are still there) */
  decode?: boolean;
  /**
   * Segmentation: 'cpu' (default) reads the outputs back and decodes the mask; 'gpu' leaves
   * them on the GPU (result.gpuOutputs, no read-back) for an overlay or your own shader.
   * Only on the webgpu backend.
   */
  mask?: 'cpu' | 'gpu';
  /** commands recorded after the network in the same submit, given its output buffers (e.g. createMaskOverlay's render pass, or your own) */
  overlay?: { encode(encoder: GPUCommandEncoder, outputs: GPUBuffer[], roi: FrameRegion, frame: { width: number; height: number }): void };
  /** skip paths (e.g. ['external']) for this call, for comparisons and tests */
  avoid?: readonly FramePath[];
}

/** Where a frame's time went, in ms. */
export interface FrameTimings {
  /** preprocessing: CPU time to prepare the pass (+ its GPU time when timestamped), or the CPU preprocess */
  preprocessMs: number;
  /** the network: GPU time from timestamp queries when `gpuTimestamps`, else wall time of the run */
  networkMs: number;
  /** waiting for and copying the outputs back (0 when they stay on the GPU) */
  readbackMs: number;
  /** decoding (top-k, boxes, mask) */
  postMs: number;
  totalMs: number;
  /** preprocessMs / networkMs include GPU timestamp-query times */
  gpuTimestamps: boolean;
}

/** The outputs left on the GPU (FrameOptions.mask 'gpu'): valid until the next frame is submitted. */
export interface GpuOutputs {
  buffers: GPUBuffer[];
  /** each buffer's tensor: NHWC float32, channels padded to a multiple of 4 (`c4`) */
  shapes: { h: number; w: number; c: number; c4: number }[];
}

export interface FrameResult {
  /** the decoded task result (classification top-5, detections in frame pixels, mask at the region's size) */
  result?: Decoded;
  /** the raw outputs, NHWC, unpadded (empty when they stayed on the GPU) */
  outputs: Float32Array[];
  gpuOutputs?: GpuOutputs;
  framePath: FramePath;
  /**
   * the 'pixels' / 'pixels-gpu' paths: how the pixels reached the CPU ('memory': an in-memory
   * image; 'copyTo': VideoFrame.copyTo with RGBA conversion; 'canvas': a 2D canvas' getImageData)
   */
  pixelRead?: 'memory' | 'copyTo' | 'canvas';
  /** why faster paths were skipped (e.g. the browser refused importExternalTexture) */
  pathNotes: string[];
  frame: { width: number; height: number };
  roi: FrameRegion;
  timings: FrameTimings;
  /** compute dispatches of this frame (the network's, plus one for a GPU preprocess pass) */
  dispatches: number;
}
