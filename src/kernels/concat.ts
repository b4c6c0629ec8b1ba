/**
 * concat: concatenation along channels, one thread per output vec4 gathering from up to
 * CONCAT_MAX_INPUTS inputs per dispatch (shaders/concat.wgsl). `planConcat` splits a concat of
 * any number of inputs into dispatches that own disjoint output channel-group ranges.
 */
import { ceilDiv, defineKernel, linearDispatch, type KernelSpec } from './spec.js';

/** Input bindings of one concat dispatch. */
export const CONCAT_MAX_INPUTS = 4;

export const CONCAT: KernelSpec = defineKernel({
  name: 'concat',
  file: 'concat.wgsl',
  bindings: [
    { name: 'in0', binding: 0, kind: 'read-only-storage' },
    { name: 'in1', binding: 1, kind: 'read-only-storage' },
    { name: 'in2', binding: 2, kind: 'read-only-storage' },
    { name: 'in3', binding: 3, kind: 'read-only-storage' },
    { name: 'output', binding: 4, kind: 'storage' },
    { name: 'params', binding: 5, kind: 'uniform' },
  ],
  params: [
    { name: 'pixels', type: 'u32' },
    { name: 'out_c4', type: 'u32' },
    { name: 'q_lo', type: 'u32' },
    { name: 'q_count', type: 'u32' },
    ...[0, 1, 2, 3].flatMap((k) => [
      { name: `in${k}_off`, type: 'u32' as const },
      { name: `in${k}_c`, type: 'u32' as const },
      { name: `in${k}_c4`, type: 'u32' as const },
    ]),
  ],
  overrides: {},
  workgroupSize: [64, 1, 1],
  dispatchSize(params) {
    // one thread per output vec4 of the dispatch's channel-group range
    return linearDispatch(params.pixels * params.q_count, 64);
  },
});

export interface ConcatDispatch {
  /** indices (into the concat's inputs) bound to in0, in1, ... in this dispatch */
  readonly inputs: readonly number[];
  /** full Params of the dispatch (unused inputs have in_k_c = 0) */
  readonly params: Readonly<Record<string, number>>;
}

/**
 * Splits concat(channels[0], channels[1], ...) at `pixels` pixels into dispatches: the output
 * channel groups are walked in order and a dispatch is closed when the next group would need a
 * fifth input. Every group is written by exactly one dispatch, and all of that group's channels
 * come from the dispatch's inputs. Zero-channel inputs are never bound.
 */
export function planConcat(pixels: number, channels: readonly number[]): ConcatDispatch[] {
  const offs: number[] = [];
  let total = 0;
  for (const c of channels) {
    if (!Number.isInteger(c) || c < 0) throw new Error(`planConcat: bad channel count ${c}`);
    offs.push(total);
    total += c;
  }
  const outC4 = ceilDiv(total, 4);
  const chunks: { qLo: number; qEnd: number; inputs: number[] }[] = [];
  let cur: { qLo: number; qEnd: number; inputs: number[] } | undefined;
  for (let q = 0; q < outC4; q++) {
    const need = channels.map((c, k) => k).filter((k) => channels[k] > 0 && offs[k] < 4 * q + 4 && offs[k] + channels[k] > 4 * q);
    const union = cur ? [...new Set([...cur.inputs, ...need])] : need;
    if (cur && union.length <= CONCAT_MAX_INPUTS) {
      cur.inputs = union;
      cur.qEnd = q + 1;
    } else {
      cur = { qLo: q, qEnd: q + 1, inputs: need };
      chunks.push(cur);
    }
  }
  return chunks.map(({ qLo, qEnd, inputs: unsorted }) => {
    const inputs = unsorted.slice().sort((a, b) => a - b);
    const params: Record<string, number> = { pixels, out_c4: outC4, q_lo: qLo, q_count: qEnd - qLo };
    for (let k = 0; k < CONCAT_MAX_INPUTS; k++) {
      const i = inputs[k];
      params[`in${k}_off`] = i === undefined ? 0 : offs[i];
      params[`in${k}_c`] = i === undefined ? 0 : channels[i];
      params[`in${k}_c4`] = i === undefined ? 0 : ceilDiv(channels[i], 4);
    }
    return { inputs, params };
  });
}
