/** global_pool: global average pool over all pixels (shaders/global_pool.wgsl). */
import { defineKernel, linearDispatch, MAX_WORKGROUPS_PER_DIM, ceilDiv, type KernelSpec } from './spec.js';

/** At most this many pixels: one thread per channel group (shaders/lib/global_pool_narrow.wgsl) instead of a workgroup per group. */
export const GLOBAL_POOL_NARROW_MAX_PIXELS = 64;

export const GLOBAL_POOL: KernelSpec = defineKernel({
  name: 'global_pool',
  file: 'global_pool.wgsl',
  bindings: [
    { name: 'input', binding: 0, kind: 'read-only-storage' },
    { name: 'output', binding: 1, kind: 'storage' },
    { name: 'params', binding: 2, kind: 'uniform' },
  ],
  params: [
    { name: 'pixels', type: 'u32' },
    { name: 'c4', type: 'u32' },
  ],
  overrides: {},
  workgroupSize: [64, 1, 1],
  dispatchSize(params) {
    // few pixels: one thread per channel group; else one workgroup per channel group
    if (params.pixels <= GLOBAL_POOL_NARROW_MAX_PIXELS) return linearDispatch(params.c4, 64);
    const n = params.c4;
    if (!Number.isInteger(n) || n < 0) throw new Error(`global_pool: bad c4 ${n}`);
    if (n <= MAX_WORKGROUPS_PER_DIM) return [n, 1, 1];
    const y = ceilDiv(n, MAX_WORKGROUPS_PER_DIM);
    return [ceilDiv(n, y), y, 1];
  },
});

/**
 * global_pool_sg (shaders/global_pool_sg.wgsl): the same pool with a subgroup reduction
 * (subgroupAdd, one barrier instead of seven). Needs the 'subgroups' device feature; the GPU
 * executor runs it in place of global_pool when the model's kernel variants say so.
 */
export const GLOBAL_POOL_SG: KernelSpec = defineKernel({ ...GLOBAL_POOL, name: 'global_pool_sg', file: 'global_pool_sg.wgsl' });
