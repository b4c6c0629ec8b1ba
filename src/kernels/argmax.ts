/**
 * argmax: index of the largest channel at every pixel, as a float (shaders/argmax.wgsl): one
 * thread per pixel, or (WIDE = 1, many channels) one workgroup per pixel with a tree over
 * (value, channel) in workgroup memory.
 */
import { defineKernel, type KernelSpec } from './spec.js';
import { perPixelDispatch } from './softmax.js';

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
  overrides: { WIDE: [0, 1] },
  workgroupSize: [64, 1, 1],
  dispatchSize(params, overrides) {
    return perPixelDispatch('argmax', params.pixels, overrides.WIDE === 1);
  },
});

/**
 * argmax_sg (shaders/argmax_sg.wgsl): the same argmax with subgroup reductions in the WIDE path
 * (subgroupMax for the value, subgroupMin for the lowest channel holding it, one barrier). Same
 * bindings, Params, overrides, dispatch and results; the GPU executor runs it in place of argmax
 * when the kernel variants' reductions are 'subgroups'.
 */
export const ARGMAX_SG: KernelSpec = defineKernel({ ...ARGMAX, name: 'argmax_sg', file: 'argmax_sg.wgsl' });
