/**
 * Classification head post-processing: optional softmax, background offset (TF-slim
 * checkpoints have 1001 outputs with index 0 = background), top-k with labels.
 */

export interface ClassScore {
  /** class index in the 1000-class (background-free) label space */
  index: number;
  label?: string;
  score: number;
}

export function softmax(logits: ArrayLike<number>): Float32Array {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - m);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/**
 * Top-k of a score vector. `labelOffset` (1 for 1001-class TF checkpoints) drops the leading
 * background entries so indices match `labels`; `applySoftmax` turns logits into
 * probabilities first (over all outputs, background included, as the model would).
 */
export function topK(scores: ArrayLike<number>, k = 5, opts: { labels?: readonly string[]; labelOffset?: number; applySoftmax?: boolean } = {}): ClassScore[] {
  const off = opts.labelOffset ?? 0;
  const s = opts.applySoftmax ? softmax(scores) : scores;
  const idx: number[] = [];
  for (let i = off; i < s.length; i++) idx.push(i);
  idx.sort((a, b) => s[b] - s[a]);
  return idx.slice(0, k).map((i) => ({ index: i - off, ...(opts.labels ? { label: opts.labels[i - off] } : {}), score: s[i] }));
}
