/** conv_transpose: dense transposed convolution, gather form (shaders/conv_transpose.wgsl). */
import { packConv2d } from './conv2d.js';
import { defineKernel, linearDispatch, type KernelSpec } from './spec.js';
import type { PackedLayer } from './pointwise.js';

export const CONV_TRANSPOSE: KernelSpec = defineKernel({
  name: 'conv_transpose',
  file: 'conv_transpose.wgsl',
  bindings: [
    { name: 'input', binding: 0, kind: 'read-only-storage' },
    { name: 'weights', binding: 1, kind: 'read-only-storage' },
    { name: 'residual', binding: 2, kind: 'read-only-storage' },
    { name: 'output', binding: 3, kind: 'storage' },
    { name: 'params', binding: 4, kind: 'uniform' },
  ],
  params: [
    { name: 'in_h', type: 'u32' },
    { name: 'in_w', type: 'u32' },
    { name: 'in_c4', type: 'u32' },
    { name: 'out_h', type: 'u32' },
    { name: 'out_w', type: 'u32' },
    { name: 'out_c4', type: 'u32' },
    { name: 'kh', type: 'u32' },
    { name: 'kw', type: 'u32' },
    { name: 'stride_h', type: 'u32' },
    { name: 'stride_w', type: 'u32' },
    { name: 'pad_t', type: 'u32' },
    { name: 'pad_l', type: 'u32' },
    { name: 'w_offset', type: 'u32' },
    { name: 'b_offset', type: 'u32' },
    { name: 'clamp_lo', type: 'f32' },
    { name: 'clamp_hi', type: 'f32' },
    { name: 'post_lo', type: 'f32' },
    { name: 'post_hi', type: 'f32' },
  ],
  overrides: { ACT: [0, 1, 2, 3, 4, 5], HAS_RES: [0, 1] },
  workgroupSize: [64, 1, 1],
  dispatchSize(params) {
    // one thread per output vec4
    return linearDispatch(params.out_h * params.out_w * params.out_c4, 64);
  },
});

/**
 * Packs an IOHW weight [inC][outC][KH][KW] (ONNX/PyTorch ConvTranspose) in conv2d's layout: the
 * vec4 at (((ky*kw + kx)*in_c4 + ic4)*out_c4 + oc4)*4 + i is (W[4ic4+i][4oc4+0..3][ky][kx]), zero
 * out of range.
 */
export function packConvTranspose(
  weight: Float32Array,
  inC: number,
  outC: number,
  kh: number,
  kw: number,
  bias: Float32Array | undefined,
): PackedLayer {
  if (weight.length !== inC * outC * kh * kw) {
    throw new Error(`packConvTranspose: weight has ${weight.length} values, expected ${inC}x${outC}x${kh}x${kw}`);
  }
  // [inC][outC][kh][kw] -> OIHW; the packed tap layout is then exactly conv2d's
  const taps = kh * kw;
  const oihw = new Float32Array(weight.length);
  for (let c = 0; c < inC; c++) {
    for (let o = 0; o < outC; o++) oihw.set(weight.subarray((c * outC + o) * taps, (c * outC + o + 1) * taps), (o * inC + c) * taps);
  }
  return packConv2d(oihw, outC, inC, kh, kw, bias);
}
