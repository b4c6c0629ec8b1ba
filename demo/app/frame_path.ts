/**
 * The frame path's small pieces: the HUD text of each path, the per-path state, frame
 * sizes and the region of interest a frame is cropped to.
 */
import type { FrameRoi, FrameSourceKind } from '../../src/backends/webgpu/frame_preprocess.js';
import type { FrameRequest } from './engine_types.js';
import { frameRegion } from '../../src/index.js';

export const PATH_TEXT: Record<FrameSourceKind | 'canvas-gpu' | 'canvas', string> = {
  external: 'importExternalTexture(VideoFrame) → GPU preprocess',
  bitmap: 'createImageBitmap → copyExternalImageToTexture → GPU preprocess',
  'canvas-gpu': 'createImageBitmap → canvas getImageData → CPU preprocess → writeBuffer',
  canvas: 'createImageBitmap → canvas getImageData → CPU preprocess',
};

export type PathState = 'untried' | 'ok' | { failed: string };

export const frameSize = (s: ImageBitmap | VideoFrame): { width: number; height: number } =>
  'displayWidth' in s ? { width: s.displayWidth, height: s.displayHeight } : { width: s.width, height: s.height };

export const close = (s: ImageBitmap | VideoFrame): void => {
  try {
    s.close();
  } catch {
    /* already closed */
  }
};

/** The demo's region choice, computed by the library's runFrame rule (the same crop as model.runFrame({ roi })). */
export const roiOf = (size: { width: number; height: number }, roi: FrameRequest['roi'], aspect = 1): FrameRoi => frameRegion(size, roi, aspect);
