/**
 * The frame path's small pieces: frame sizes, closing transferred frames and the region of
 * interest a frame is cropped to (the library's rule, so the page's crop marks are the
 * model's). The path text itself is the library's FRAME_PATH_TEXT.
 */
import { frameRegion, type FrameRegion } from '../../src/index.js';
import type { FrameRequest } from './engine_types.js';

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
export const roiOf = (size: { width: number; height: number }, roi: FrameRequest['roi'], aspect = 1): FrameRegion => frameRegion(size, roi, aspect);
