/**
 * Greedy non-maximum suppression and the two SSD post-processing pipelines (spec 8.5):
 * - torchvision `SSD.postprocess_detections`: per class, score > threshold, top-k (300) by
 *   score; batched (per-class) NMS at IoU 0.55; the best 300 overall.
 * - TF OD `batch_multiclass_non_max_suppression`: per class, score > threshold, boxes of zero
 *   area after clipping dropped (clip_to_window with filter_nonoverlapping), NMS at IoU 0.6
 *   keeping at most 100 per class; the best 100 overall.
 * Both suppress a box when its IoU with a kept box of the same class is > the threshold.
 * Ties in score are broken by anchor index, then class, so results are deterministic.
 */

export interface ScoredBox {
  /** [x1, y1, x2, y2] */
  box: [number, number, number, number];
  score: number;
  classId: number;
  /** anchor index (tie-break) */
  anchor: number;
}

export function iou(a: readonly number[], b: readonly number[]): number {
  const areaA = (a[2] - a[0]) * (a[3] - a[1]);
  const areaB = (b[2] - b[0]) * (b[3] - b[1]);
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const union = areaA + areaB - inter;
  return union > 0 ? inter / union : 0;
}

/** Score descending, then anchor, then class ascending. */
export const byScore = (a: ScoredBox, b: ScoredBox): number => b.score - a.score || a.anchor - b.anchor || a.classId - b.classId;

/** Greedy NMS of boxes of one class: keeps a box unless it overlaps a kept one by IoU > threshold. */
export function nms<T extends ScoredBox>(boxes: readonly T[], iouThreshold: number, maxOutput = Infinity): T[] {
  const sorted = [...boxes].sort(byScore);
  const kept: T[] = [];
  for (const b of sorted) {
    if (kept.length >= maxOutput) break;
    if (kept.every((k) => !(iou(k.box, b.box) > iouThreshold))) kept.push(b);
  }
  return kept;
}

const groupByClass = <T extends ScoredBox>(boxes: readonly T[]): Map<number, T[]> => {
  const m = new Map<number, T[]>();
  for (const b of boxes) {
    const l = m.get(b.classId);
    if (l) l.push(b);
    else m.set(b.classId, [b]);
  }
  return m;
};

/** NMS within each class (torchvision batched_nms); the result is sorted by score. */
export function batchedNms<T extends ScoredBox>(boxes: readonly T[], iouThreshold: number): T[] {
  return [...groupByClass(boxes).values()].flatMap((c) => nms(c, iouThreshold)).sort(byScore);
}

export interface TorchvisionNmsOptions {
  scoreThreshold: number;
  topkCandidates: number;
  iouThreshold: number;
  detectionsPerImage: number;
}

export function torchvisionPostprocess<T extends ScoredBox>(cands: readonly T[], o: TorchvisionNmsOptions): T[] {
  const pre = [...groupByClass(cands.filter((c) => c.score > o.scoreThreshold)).values()].flatMap((c) => [...c].sort(byScore).slice(0, o.topkCandidates));
  return batchedNms(pre, o.iouThreshold).slice(0, o.detectionsPerImage);
}

export interface TfNmsOptions {
  scoreThreshold: number;
  iouThreshold: number;
  maxPerClass: number;
  maxTotal: number;
}

export function tfPostprocess<T extends ScoredBox>(cands: readonly T[], o: TfNmsOptions): T[] {
  const valid = cands.filter((c) => c.score > o.scoreThreshold && (c.box[2] - c.box[0]) * (c.box[3] - c.box[1]) > 0);
  return [...groupByClass(valid).values()].flatMap((c) => nms(c, o.iouThreshold, o.maxPerClass)).sort(byScore).slice(0, o.maxTotal);
}
