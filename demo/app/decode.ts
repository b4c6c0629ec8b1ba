/**
 * Model outputs -> what the page draws, per task (runs in the engine, so only small results
 * cross to the page): top-5 labels, boxes in frame pixels, or an 8-bit mask.
 */
import type { ModelTask } from '../../src/runtime.js';
import type { PlanTensor } from '../../src/graph/plan.js';
import { topK } from '../../src/heads/classification.js';
import { decodeCenterNet } from '../../src/heads/centernet.js';
import { postprocessDetections, type SsdHeadInfo } from '../../src/heads/detection.js';
import { segmentationMask, type LrasppHeadInfo } from '../../src/heads/segmentation.js';
import { batchedNms } from '../../src/heads/nms.js';
import type { TaskKind } from './catalogue.js';

export interface ClassResult {
  index: number;
  label: string;
  score: number;
}

export interface BoxResult {
  /** [x1, y1, x2, y2] in frame pixels */
  box: [number, number, number, number];
  score: number;
  label: string;
}

export interface MaskResult {
  width: number;
  height: number;
  /** 'probability': 0..255 foreground probability; 'classes': class id per pixel */
  kind: 'probability' | 'classes';
  data: Uint8Array;
  labels?: readonly string[];
}

export interface Decoded {
  top5?: ClassResult[];
  detections?: BoxResult[];
  mask?: MaskResult;
}

export interface DecodeContext {
  task: ModelTask | undefined;
  taskKind: TaskKind;
  outputs: readonly PlanTensor[];
  input: { h: number; w: number };
  /** frame region the model saw (detections are mapped into frame pixels through it) */
  roi: { x: number; y: number; width: number; height: number };
  labels: readonly string[] | null;
  head?: { kind: string };
}

/** detections under this score are not drawn */
export const MIN_SCORE = 0.3;

export function decode(out: readonly Float32Array[], ctx: DecodeContext): Decoded {
  const task = ctx.task;
  switch (ctx.taskKind) {
    case 'classify': {
      const scores = out[0];
      const offset = task?.kind === 'classification' ? task.labelOffset : 0;
      const labels = ctx.labels && scores.length - offset === ctx.labels.length ? ctx.labels : undefined;
      const top = topK(scores, 5, { labels, labelOffset: offset, applySoftmax: !(task?.kind === 'classification' && task.softmax) });
      return { top5: top.map((c) => ({ index: c.index, label: c.label ?? `class ${c.index}`, score: c.score })) };
    }
    case 'detect': {
      const { roi } = ctx;
      const sx = roi.width / ctx.input.w;
      const sy = roi.height / ctx.input.h;
      if (task?.kind === 'detection' && task.format === 'centernet') {
        const [heat, wh] = out;
        const s = ctx.outputs[0];
        const peaks = decodeCenterNet(heat, wh, { h: s.h, w: s.w, c: s.c }, { inputHeight: ctx.input.h, inputWidth: ctx.input.w, minScore: MIN_SCORE });
        // CenterNet's peaks of one object often sit in neighbouring cells: class-wise NMS for display
        const dets = batchedNms(peaks.map((d, anchor) => ({ ...d, anchor })), 0.5);
        return { detections: dets.map((d) => ({ box: mapBox(d.box, sx, sy, roi), score: d.score, label: d.label })) };
      }
      if (ctx.head?.kind === 'ssdlite') {
        const r = postprocessDetections(out, ctx.head as SsdHeadInfo, { width: ctx.input.w, height: ctx.input.h });
        return { detections: r.detections.filter((d) => d.score > MIN_SCORE).slice(0, 50).map((d) => ({ box: mapBox(d.box, sx, sy, roi), score: d.score, label: d.label })) };
      }
      throw new Error(`this model's outputs (${task?.kind ?? 'no task'}${task && 'format' in task ? ` '${task.format}'` : ''}) are not a detection format the page can draw (CenterNet, SSDLite)`);
    }
    case 'segment': {
      if (ctx.head?.kind === 'lraspp') {
        const m = segmentationMask(out, ctx.head as LrasppHeadInfo);
        return { mask: { width: m.width, height: m.height, kind: 'classes', data: m.mask, labels: m.labels } };
      }
      const o = ctx.outputs[0];
      const v = out[0];
      if (o.c === 1) {
        // a probability map (sigmoid masks, text probability); squash logits if it is not one
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = 0; i < v.length; i++) {
          lo = Math.min(lo, v[i]);
          hi = Math.max(hi, v[i]);
        }
        const logits = lo < -0.01 || hi > 1.01;
        const data = new Uint8Array(v.length);
        for (let i = 0; i < v.length; i++) data[i] = Math.round(255 * (logits ? 1 / (1 + Math.exp(-v[i])) : Math.min(1, Math.max(0, v[i]))));
        return { mask: { width: o.w, height: o.h, kind: 'probability', data } };
      }
      // several channels: class map by argmax
      const data = new Uint8Array(o.h * o.w);
      for (let p = 0; p < o.h * o.w; p++) {
        let best = 0;
        for (let k = 1; k < o.c; k++) if (v[p * o.c + k] > v[p * o.c + best]) best = k;
        data[p] = Math.min(best, 255);
      }
      return { mask: { width: o.w, height: o.h, kind: 'classes', data } };
    }
    default: {
      const never: never = ctx.taskKind;
      throw new Error(`unknown task ${String(never)}`);
    }
  }
}

function mapBox(b: readonly number[], sx: number, sy: number, roi: DecodeContext['roi']): [number, number, number, number] {
  return [roi.x + b[0] * sx, roi.y + b[1] * sy, roi.x + b[2] * sx, roi.y + b[3] * sy];
}
