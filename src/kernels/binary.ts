/** binary: elementwise a (op) b with broadcasting of b and the full epilogue (shaders/binary.wgsl). */
import { BINARY_BCAST, BINARY_OPS, defineKernel, linearDispatch, type KernelSpec } from './spec.js';

export const BINARY: KernelSpec = defineKernel({
  name: 'binary',
  file: 'binary.wgsl',
  bindings: [
    { name: 'a', binding: 0, kind: 'read-only-storage' },
    { name: 'b', binding: 1, kind: 'read-only-storage' },
    { name: 'residual', binding: 2, kind: 'read-only-storage' },
    { name: 'output', binding: 3, kind: 'storage' },
    { name: 'params', binding: 4, kind: 'uniform' },
  ],
  params: [
    { name: 'count', type: 'u32' },
    { name: 'c4', type: 'u32' },
    { name: 'c', type: 'u32' },
    { name: 'clamp_lo', type: 'f32' },
    { name: 'clamp_hi', type: 'f32' },
    { name: 'post_lo', type: 'f32' },
    { name: 'post_hi', type: 'f32' },
  ],
  overrides: {
    OP: Object.values(BINARY_OPS),
    BCAST: Object.values(BINARY_BCAST),
    ACT: [0, 1, 2, 3, 4, 5],
    HAS_RES: [0, 1],
  },
  workgroupSize: [64, 1, 1],
  dispatchSize(params) {
    // one thread per vec4 element
    return linearDispatch(params.count, 64);
  },
});
