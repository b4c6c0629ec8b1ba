/** depthwise: KHxKW depthwise convolution (shaders/depthwise.wgsl). */
import { ceilDiv, defineKernel, linearDispatch, type KernelSpec } from './spec.js';
import { packBias, type PackedLayer } from './pointwise.js';

export const KERNEL_SIZES = [1, 2, 3, 4, 5, 6, 7] as const;

export const DEPTHWISE: KernelSpec = defineKernel({
  name: 'depthwise',
  file: 'depthwise.wgsl',
  bindings: [
    { name: 'input', binding: 0, kind: 'read-only-storage' },
    { name: 'weights', binding: 1, kind: 'read-only-storage' },
    { name: 'output', binding: 2, kind: 'storage' },
    { name: 'params', binding: 3, kind: 'uniform' },
  ],
  params: [
    { name: 'in_h', type: 'u32' },
    { name: 'in_w', type: 'u32' },
    { name: 'out_h', type: 'u32' },
    { name: 'out_w', type: 'u32' },
    { name: 'c4', type: 'u32' },
    { name: 'stride_h', type: 'u32' },
    { name: 'stride_w', type: 'u32' },
    { name: 'dil_h', type: 'u32' },
    { name: 'dil_w', type: 'u32' },
    { name: 'pad_t', type: 'u32' },
    { name: 'pad_l', type: 'u32' },
    { name: 'w_offset', type: 'u32' },
    { name: 'b_offset', type: 'u32' },
    { name: 'clamp_lo', type: 'f32' },
    { name: 'clamp_hi', type: 'f32' },
    // the ACT override, read at run time (param override: one pipeline per kernel size)
    { name: 'act', type: 'u32' },
  ],
  overrides: { ACT: [0, 1, 2, 3, 4, 5], KH: KERNEL_SIZES, KW: KERNEL_SIZES },
  paramOverrides: ['ACT'],
  workgroupSize: [64, 1, 1],
  dispatchSize(params) {
    // one thread per output vec4
    return linearDispatch(params.out_h * params.out_w * params.c4, 64);
  },
});

/**
 * Packs a depthwise weight [C][1][KH][KW] (OIHW): tap (ky, kx) of channel group q is the vec4
 * at (ky*kw + kx)*c4 + q, zero for padded channels.
 */
export function packDepthwise(
  weight: Float32Array,
  channels: number,
  kh: number,
  kw: number,
  bias: Float32Array | undefined,
): PackedLayer {
  if (weight.length !== channels * kh * kw) {
    throw new Error(`packDepthwise: weight has ${weight.length} values, expected ${channels}x1x${kh}x${kw}`);
  }
  const c4 = ceilDiv(channels, 4);
  const w = new Float32Array(kh * kw * c4 * 4);
  for (let c = 0; c < channels; c++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        w[((ky * kw + kx) * c4 + (c >> 2)) * 4 + (c & 3)] = weight[(c * kh + ky) * kw + kx];
      }
    }
  }
  return { weights: w, bias: packBias(bias, channels) };
}
