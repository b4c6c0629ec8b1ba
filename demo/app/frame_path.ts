/**
 * The frame path's small pieces: the HUD text of each path, the per-path state, frame
 * sizes and the region of interest a frame is cropped to.
 */
import type { FrameRoi, FrameSourceKind } from '../../src/backends/webgpu/frame_preprocess.js';
import type { FrameRequest } from './engine_types.js';

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

export function roiOf(size: { width: number; height: number }, roi: FrameRequest['roi'], aspect = 1): FrameRoi {
  if (roi === 'full') return { x: 0, y: 0, width: size.width, height: size.height };
  const width = Math.max(1, Math.min(size.width, Math.round(size.height * aspect)));
  const height = Math.max(1, Math.min(size.height, Math.round(width / aspect)));
  return { x: Math.floor((size.width - width) / 2), y: Math.floor((size.height - height) / 2), width, height };
}
