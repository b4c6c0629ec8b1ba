/**
 * Float64 SSD decoding (the oracle of the `ssd_decode` op and the exact CPU post-processing
 * of raw detection outputs). Plain loops on unpadded NHWC maps; candidates come out in anchor
 * order, classes ascending within an anchor.
 */
import type { SsdDecodeNode, TensorShape } from './ir.js';
import { NO_CLAMP } from '../kernels/spec.js';
import { SSD_CODE_ORDERS, SSD_SCORES } from '../kernels/ssd_decode.js';

export type SsdDecodeParams = Omit<SsdDecodeNode, 'op' | 'name' | 'origin' | 'inputs' | 'output' | 'maxCandidates'>;

export interface SsdCandidate {
  /** normalized corners, clipped to [0, 1] */
  box: [number, number, number, number];
  score: number;
  classId: number;
  anchor: number;
}

/** Decodes one anchor's regression code (4 values in the node's code order) to clipped normalized corners. */
export function decodeBox(p: SsdDecodeParams, anchor: number, code: ArrayLike<number>, at = 0): [number, number, number, number] {
  const cx0 = p.anchors[4 * anchor];
  const cy0 = p.anchors[4 * anchor + 1];
  const wa = p.anchors[4 * anchor + 2];
  const ha = p.anchors[4 * anchor + 3];
  const [ix, iy, iw, ih] = p.codeOrder === 'xywh' ? [0, 1, 2, 3] : [1, 0, 3, 2];
  const dx = code[at + ix] / p.centerScale;
  const dy = code[at + iy] / p.centerScale;
  const dw = Math.min(code[at + iw] / p.sizeScale, p.maxLogScale);
  const dh = Math.min(code[at + ih] / p.sizeScale, p.maxLogScale);
  const cx = dx * wa + cx0;
  const cy = dy * ha + cy0;
  const w = Math.exp(dw) * wa;
  const h = Math.exp(dh) * ha;
  const clip = (v: number): number => Math.min(Math.max(v, 0), 1);
  return [clip(cx - 0.5 * w), clip(cy - 0.5 * h), clip(cx + 0.5 * w), clip(cy + 0.5 * h)];
}

/**
 * All candidates (score > scoreThreshold, class >= firstClass) of the maps `cls[i]` (H*W*A*K
 * values) and `box[i]` (H*W*A*4 values), unpadded NHWC.
 */
export function decodeCandidates(p: SsdDecodeParams, cls: ArrayLike<number>[], box: ArrayLike<number>[]): SsdCandidate[] {
  const out: SsdCandidate[] = [];
  const K = p.numClasses;
  const scores = new Float64Array(K);
  let anchor = 0;
  p.anchorsPerLocation.forEach((A, m) => {
    const locations = cls[m].length / (A * K);
    if (!Number.isInteger(locations) || box[m].length !== locations * A * 4) throw new Error(`ssd decode: map ${m} sizes ${cls[m].length} / ${box[m].length} do not fit ${A} anchors x ${K} classes`);
    for (let l = 0; l < locations * A; l++, anchor++) {
      const base = l * K;
      if (p.score === 'softmax') {
        let mx = -Infinity;
        for (let k = 0; k < K; k++) mx = Math.max(mx, cls[m][base + k]);
        let sum = 0;
        for (let k = 0; k < K; k++) sum += scores[k] = Math.exp(cls[m][base + k] - mx);
        for (let k = 0; k < K; k++) scores[k] /= sum;
      } else {
        for (let k = 0; k < K; k++) scores[k] = 1 / (1 + Math.exp(-cls[m][base + k]));
      }
      let decoded: [number, number, number, number] | null = null;
      for (let k = p.firstClass; k < K; k++) {
        if (!(scores[k] > p.scoreThreshold)) continue;
        decoded ??= decodeBox(p, anchor, box[m], l * 4);
        out.push({ box: decoded, score: scores[k], classId: k, anchor });
      }
    }
  });
  if (anchor * 4 !== p.anchors.length) throw new Error(`ssd decode: the maps have ${anchor} anchors, the anchor table ${p.anchors.length / 4}`);
  return out;
}

/** The op's output layout (maxCandidates + 1 rows of 8) from a candidate list, as the reference writes it. */
export function candidateRows(cands: SsdCandidate[], maxCandidates: number): Float64Array {
  const rows = new Float64Array((maxCandidates + 1) * 8);
  rows[0] = cands.length;
  rows[1] = maxCandidates;
  cands.slice(0, maxCandidates).forEach((c, i) => {
    rows.set([...c.box, c.score, c.classId, c.anchor, 0], (i + 1) * 8);
  });
  return rows;
}

/** Reads an op output (any float array in that layout) back into candidates; `count` is before truncation. */
export function readCandidateRows(rows: ArrayLike<number>): { count: number; capacity: number; candidates: SsdCandidate[] } {
  const count = rows[0];
  const capacity = rows[1];
  const n = Math.min(count, capacity, Math.floor(rows.length / 8) - 1);
  const candidates: SsdCandidate[] = [];
  for (let i = 1; i <= n; i++) {
    const o = i * 8;
    candidates.push({ box: [rows[o], rows[o + 1], rows[o + 2], rows[o + 3]], score: rows[o + 4], classId: rows[o + 5], anchor: rows[o + 6] });
  }
  return { count, capacity, candidates };
}

/** The plan steps of one ssd_decode node (scheduler): one single-workgroup dispatch per map. */
export interface SsdDecodeStepDraft {
  node: string;
  kernel: 'ssd_decode';
  overrides: Record<string, number>;
  params: Record<string, number>;
  macs: number;
  tensors: Record<string, string>;
}

/**
 * Steps for `n`: the anchors go into the weights blob once (`addWeights` returns their vec4
 * offset); step i reads map i's class and box tensors and appends to the node's output.
 */
export function ssdDecodeSteps(n: SsdDecodeNode, shapes: ReadonlyMap<string, TensorShape>, addWeights: (a: Float32Array) => number): SsdDecodeStepDraft[] {
  const maps = n.anchorsPerLocation.length;
  const aOffset = addWeights(n.anchors);
  const overrides = { SCORE: SSD_SCORES[n.score], ORDER: SSD_CODE_ORDERS[n.codeOrder] };
  let anchorBase = 0;
  return n.anchorsPerLocation.map((A, i) => {
    const cls = shapes.get(n.inputs[i])!;
    const locations = cls.h * cls.w;
    const step: SsdDecodeStepDraft = {
      node: n.name, kernel: 'ssd_decode', overrides, macs: 0,
      params: {
        locations, anchors: A, classes: n.numClasses, cls_c4: Math.ceil(cls.c / 4), a_offset: aOffset + anchorBase, anchor_base: anchorBase,
        first: i === 0 ? 1 : 0, first_class: n.firstClass, capacity: n.maxCandidates, threshold: n.scoreThreshold,
        center_scale: n.centerScale, size_scale: n.sizeScale, max_log_scale: Math.min(n.maxLogScale, NO_CLAMP),
      },
      tensors: { cls: n.inputs[i], box: n.inputs[maps + i], weights: 'weights', output: n.output },
    };
    anchorBase += locations * A;
    return step;
  });
}
