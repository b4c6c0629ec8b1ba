/** pool2d: windowed max / average pooling with runtime window size (shaders/pool2d.wgsl). */
import { defineKernel, linearDispatch, POOL_KINDS, type KernelSpec } from './spec.js';

/** The value of a max-pool window with no valid tap (the lowest finite f32). */
export const POOL_EMPTY_MAX = -3.4028234663852886e38;

export const POOL2D: KernelSpec = defineKernel({
  name: 'pool2d',
  file: 'pool2d.wgsl',
  bindings: [
    { name: 'input', binding: 0, kind: 'read-only-storage' },
    { name: 'output', binding: 1, kind: 'storage' },
    { name: 'params', binding: 2, kind: 'uniform' },
  ],
  params: [
    { name: 'in_h', type: 'u32' },
    { name: 'in_w', type: 'u32' },
    { name: 'out_h', type: 'u32' },
    { name: 'out_w', type: 'u32' },
    { name: 'c4', type: 'u32' },
    { name: 'kh', type: 'u32' },
    { name: 'kw', type: 'u32' },
    { name: 'stride_h', type: 'u32' },
    { name: 'stride_w', type: 'u32' },
    { name: 'pad_t', type: 'u32' },
    { name: 'pad_l', type: 'u32' },
    { name: 'count_include_pad', type: 'u32' },
  ],
  overrides: { KIND: [POOL_KINDS.avg, POOL_KINDS.max] },
  workgroupSize: [64, 1, 1],
  dispatchSize(params) {
    // one thread per output vec4
    return linearDispatch(params.out_h * params.out_w * params.c4, 64);
  },
});
