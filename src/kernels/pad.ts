/** pad: spatial constant padding (shaders/pad.wgsl). */
import { defineKernel, linearDispatch, type KernelSpec } from './spec.js';

export const PAD: KernelSpec = defineKernel({
  name: 'pad',
  file: 'pad.wgsl',
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
    { name: 'c', type: 'u32' },
    { name: 'pad_t', type: 'u32' },
    { name: 'pad_l', type: 'u32' },
    { name: 'value', type: 'f32' },
  ],
  overrides: {},
  workgroupSize: [64, 1, 1],
  dispatchSize(params) {
    // one thread per output vec4
    return linearDispatch(params.out_h * params.out_w * params.c4, 64);
  },
});
