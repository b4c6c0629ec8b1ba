/** constant: copies a constant tensor's packed data from the weights buffer into its slot (shaders/constant.wgsl). */
import { ceilDiv, defineKernel, linearDispatch, type KernelSpec } from './spec.js';

export const CONSTANT: KernelSpec = defineKernel({
  name: 'constant',
  file: 'constant.wgsl',
  bindings: [
    { name: 'weights', binding: 0, kind: 'read-only-storage' },
    { name: 'output', binding: 1, kind: 'storage' },
    { name: 'params', binding: 2, kind: 'uniform' },
  ],
  params: [
    { name: 'count', type: 'u32' },
    { name: 'w_offset', type: 'u32' },
  ],
  overrides: {},
  workgroupSize: [64, 1, 1],
  dispatchSize(params) {
    // one thread per vec4
    return linearDispatch(params.count, 64);
  },
});

/** NHWC [pixels][c] -> [pixels][c4*4] with zero padding lanes (the activation layout). */
export function packConstant(data: Float32Array, pixels: number, c: number): Float32Array {
  if (data.length !== pixels * c) throw new Error(`packConstant: ${data.length} values, expected ${pixels}x${c}`);
  const C = ceilDiv(c, 4) * 4;
  const out = new Float32Array(Math.max(4, pixels * C));
  for (let p = 0; p < pixels; p++) for (let k = 0; k < c; k++) out[p * C + k] = data[p * c + k];
  return out;
}
