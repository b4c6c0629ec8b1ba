/**
 * One entry point from a model's raw outputs to a user-level answer, driven by the model's
 * declared task: top-k classes, detections in image pixels, or a mask. Used by the CLI and
 * the demo so that every model (native or imported) is decoded the same way.
 */
import type { ModelTask } from '../model/source.js';
import type { PlanTensor } from '../graph/plan.js';
import { topK, type ClassScore } from './classification.js';
import { decodeCenterNet } from './centernet.js';
import { postprocessDetections, type SsdHeadInfo } from './detection.js';
import { segmentationMask, type LrasppHeadInfo } from './segmentation.js';

export interface DetectionOut {
  label: string;
  score: number;
  /** [x1, y1, x2, y2] in image pixels */
  box: [number, number, number, number];
}

export interface MaskOut {
  /** per pixel: class index (multi-class) or 0/1 (foreground), image-sized */
  mask: Uint8Array;
  width: number;
  height: number;
  /** fraction of pixels that are not background (class 0) */
  foregroundFraction: number;
  /** the raw per-pixel score for binary masks (model resolution), when there is one */
  scores?: Float32Array;
  scoreWidth?: number;
  scoreHeight?: number;
}

export type Decoded =
  | { kind: 'classification'; top5: ClassScore[] }
  | { kind: 'detection'; detections: DetectionOut[] }
  | { kind: 'segmentation'; mask: MaskOut }
  | { kind: 'features'; outputs: number };

export interface DecodeContext {
  task?: ModelTask;
  /** native heads carry their post-processing parameters */
  head?: unknown;
  /** the plan's output tensors (shapes of runAll()'s arrays) */
  outputs: readonly PlanTensor[];
  /** the image the input came from (boxes and masks are returned at this size) */
  image: { width: number; height: number };
  labels?: readonly string[];
  /** minimum detection score (default 0.3) */
  minScore?: number;
}

/** Nearest-neighbour resample of a 1-channel score map to the image, thresholded. */
function binaryMask(scores: Float32Array, sw: number, sh: number, width: number, height: number, threshold: number): MaskOut {
  const mask = new Uint8Array(width * height);
  let fg = 0;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(sh - 1, Math.floor(((y + 0.5) * sh) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(sw - 1, Math.floor(((x + 0.5) * sw) / width));
      const on = scores[sy * sw + sx] > threshold ? 1 : 0;
      mask[y * width + x] = on;
      fg += on;
    }
  }
  return { mask, width, height, foregroundFraction: fg / (width * height), scores, scoreWidth: sw, scoreHeight: sh };
}

export function decodeOutputs(outs: readonly Float32Array[], ctx: DecodeContext): Decoded {
  const task = ctx.task ?? { kind: 'features' as const };
  const { width, height } = ctx.image;
  switch (task.kind) {
    case 'classification': {
      const scores = outs[0];
      return { kind: 'classification', top5: topK(scores, 5, { labels: ctx.labels, labelOffset: task.labelOffset, applySoftmax: !task.softmax }) };
    }
    case 'detection': {
      const minScore = ctx.minScore ?? 0.3;
      if (task.format === 'centernet') {
        const [hm, wh] = ctx.outputs;
        const dets = decodeCenterNet(outs[0], outs[1], { h: hm.h, w: hm.w, c: hm.c }, { scaleX: width / (hm.w * 4), scaleY: height / (hm.h * 4), minScore });
        void wh;
        return { kind: 'detection', detections: dets.map((d) => ({ label: d.label, score: d.score, box: d.box })) };
      }
      if (task.format.startsWith('ssdlite')) {
        const r = postprocessDetections(outs, ctx.head as SsdHeadInfo, { width, height });
        return { kind: 'detection', detections: r.detections.filter((d) => d.score >= minScore).map((d) => ({ label: d.label, score: d.score, box: d.box })) };
      }
      throw new Error(`decode: unknown detection format '${task.format}'`);
    }
    case 'segmentation': {
      if (task.format === 'lraspp') {
        const m = segmentationMask(outs, ctx.head as LrasppHeadInfo, { width, height });
        let fg = 0;
        for (const v of m.mask) if (v !== 0) fg++;
        return { kind: 'segmentation', mask: { mask: m.mask, width, height, foregroundFraction: fg / (width * height) } };
      }
      if (task.format === 'sigmoid-mask' || task.format === 'db-probability') {
        const t = ctx.outputs[0];
        const scores = t.c === 1 ? outs[0] : Float32Array.from({ length: t.h * t.w }, (_, p) => outs[0][p * t.c + (t.c - 1)]);
        return { kind: 'segmentation', mask: binaryMask(scores, t.w, t.h, width, height, task.format === 'db-probability' ? 0.3 : 0.5) };
      }
      throw new Error(`decode: unknown segmentation format '${task.format}'`);
    }
    case 'features':
      return { kind: 'features', outputs: outs.length };
    default: {
      const never: never = task;
      throw new Error(`decode: unknown task ${JSON.stringify(never)}`);
    }
  }
}

/** A mask as 8-bit pixels for drawing: 0..255 foreground probability, or a class id per pixel. */
export interface MaskBytes {
  width: number;
  height: number;
  /** 'probability': 0..255 (the model's score map, at the model's resolution); 'classes': class id per pixel (image-sized) */
  kind: 'probability' | 'classes';
  data: Uint8Array;
}

/**
 * 8-bit pixels of a decoded mask: a binary (sigmoid / probability) mask's raw scores as
 * 0..255 probabilities at the model's resolution (soft edges for an overlay; scores outside
 * [0, 1] are clamped), else the class map as it is.
 */
export function maskBytes(m: MaskOut): MaskBytes {
  if (m.scores && m.scoreWidth && m.scoreHeight) {
    const data = new Uint8Array(m.scores.length);
    for (let i = 0; i < data.length; i++) data[i] = Math.round(255 * Math.min(1, Math.max(0, m.scores[i])));
    return { width: m.scoreWidth, height: m.scoreHeight, kind: 'probability', data };
  }
  return { width: m.width, height: m.height, kind: 'classes', data: m.mask };
}
