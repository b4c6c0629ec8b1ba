/** argmax: index of the largest channel at every pixel, as a float (shaders/argmax.wgsl). */
import { defineKernel, linearDispatch, type KernelSpec } from './spec.js';

export const ARGMAX: KernelSpec = defineKernel({
  name: 'argmax',
  file: 'argmax.wgsl',
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
  overrides: {},
  workgroupSize: [64, 1, 1],
  dispatchSize(params) {
    // one thread per pixel
    return linearDispatch(params.pixels, 64);
  },
});
