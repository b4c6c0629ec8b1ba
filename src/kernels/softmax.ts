/** softmax: softmax over channels at every pixel (shaders/softmax.wgsl). */
import { ceilDiv, defineKernel, linearDispatch, MAX_WORKGROUPS_PER_DIM, type KernelSpec } from './spec.js';

/** The scheduler picks WIDE = 1 (one workgroup per pixel) above this many channel groups (softmax and argmax). */
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
    return perPixelDispatch('softmax', params.pixels, overrides.WIDE === 1);
  },
});

/** WIDE = 0: one thread per pixel (64 per workgroup); WIDE = 1: one workgroup per pixel (softmax, argmax). */
export function perPixelDispatch(kernel: string, n: number, wide: boolean): [number, number, number] {
  if (!wide) return linearDispatch(n, 64);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${kernel}: bad pixel count ${n}`);
  if (n <= MAX_WORKGROUPS_PER_DIM) return [n, 1, 1];
  const y = ceilDiv(n, MAX_WORKGROUPS_PER_DIM);
  if (y > MAX_WORKGROUPS_PER_DIM) throw new Error(`${kernel}: ${n} pixels is too many`);
  return [ceilDiv(n, y), y, 1];
}

/**
 * softmax_sg (shaders/softmax_sg.wgsl): the same softmax with subgroup reductions in the WIDE
 * path (subgroupMax / subgroupAdd, one barrier each instead of two trees). Same bindings,
 * Params, overrides, dispatch and results; the GPU executor runs it in place of softmax when
 * the kernel variants' reductions are 'subgroups'.
 */
export const SOFTMAX_SG: KernelSpec = defineKernel({ ...SOFTMAX, name: 'softmax_sg', file: 'softmax_sg.wgsl' });
