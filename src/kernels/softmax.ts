/** softmax: softmax over channels at every pixel (shaders/softmax.wgsl). */
import { ceilDiv, defineKernel, linearDispatch, MAX_WORKGROUPS_PER_DIM, type KernelSpec } from './spec.js';

/** The scheduler picks WIDE = 1 (one workgroup per pixel) above this many channel groups. */
export const SOFTMAX_WIDE_MIN_C4 = 16;

export const SOFTMAX: KernelSpec = defineKernel({
  name: 'softmax',
  file: 'softmax.wgsl',
  bindings: [
    { name: 'input', binding: 0, kind: 'read-only-storage' },
    { name: 'output', binding: 1, kind: 'storage' },
    { name: 'params', binding: 2, kind: 'uniform' },
  ],
  params: [
    { name: 'pixels', type: 'u32' },
    { name: 'c4', type: 'u32' },
    { name: 'c', type: 'u32' },
  ],
  overrides: { WIDE: [0, 1] },
  workgroupSize: [64, 1, 1],
  dispatchSize(params, overrides) {
    if (overrides.WIDE !== 1) return linearDispatch(params.pixels, 64); // one thread per pixel
    // one workgroup per pixel
    const n = params.pixels;
    if (!Number.isInteger(n) || n < 0) throw new Error(`softmax: bad pixel count ${n}`);
    if (n <= MAX_WORKGROUPS_PER_DIM) return [n, 1, 1];
    const y = ceilDiv(n, MAX_WORKGROUPS_PER_DIM);
    if (y > MAX_WORKGROUPS_PER_DIM) throw new Error(`softmax: ${n} pixels is too many`);
    return [ceilDiv(n, y), y, 1];
  },
});

/**
 * softmax_sg (shaders/softmax_sg.wgsl): the same softmax with subgroup reductions in the WIDE
 * path (subgroupMax / subgroupAdd, one barrier each instead of two trees). Same bindings,
 * Params, overrides, dispatch and results; the GPU executor runs it in place of softmax when
 * the kernel variants' reductions are 'subgroups'.
 */
export const SOFTMAX_SG: KernelSpec = defineKernel({ ...SOFTMAX, name: 'softmax_sg', file: 'softmax_sg.wgsl' });
