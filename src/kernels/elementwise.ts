/** elementwise: unfused activation, residual add, SE channel scale (shaders/elementwise.wgsl). */
import { defineKernel, ELEMENTWISE_OPS, linearDispatch, type KernelSpec } from './spec.js';

export const ELEMENTWISE: KernelSpec = defineKernel({
  name: 'elementwise',
  file: 'elementwise.wgsl',
  bindings: [
    { name: 'a', binding: 0, kind: 'read-only-storage' },
    { name: 'b', binding: 1, kind: 'read-only-storage' },
    { name: 'output', binding: 2, kind: 'storage' },
    { name: 'params', binding: 3, kind: 'uniform' },
  ],
  params: [
    { name: 'count', type: 'u32' },
    { name: 'c4', type: 'u32' },
    { name: 'clamp_lo', type: 'f32' },
    { name: 'clamp_hi', type: 'f32' },
  ],
  overrides: {
    OP: [ELEMENTWISE_OPS.act, ELEMENTWISE_OPS.add, ELEMENTWISE_OPS.channel_scale],
    ACT: [0, 1, 2, 3, 4, 5],
  },
  workgroupSize: [64, 1, 1],
  dispatchSize(params) {
    // one thread per vec4 element
    return linearDispatch(params.count, 64);
  },
});
