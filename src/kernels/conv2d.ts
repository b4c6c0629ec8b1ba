/** conv2d: dense (groups = 1) KHxKW convolution (shaders/conv2d.wgsl), e.g. the stem. */
import { ceilDiv, defineKernel, linearDispatch, type KernelSpec } from './spec.js';
import { KERNEL_SIZES } from './depthwise.js';
import { packBias, type PackedLayer } from './pointwise.js';

export const CONV2D: KernelSpec = defineKernel({
  name: 'conv2d',
  file: 'conv2d.wgsl',
  bindings: [
    { name: 'input', binding: 0, kind: 'read-only-storage' },
    { name: 'weights', binding: 1, kind: 'read-only-storage' },
    { name: 'output', binding: 2, kind: 'storage' },
    { name: 'params', binding: 3, kind: 'uniform' },
  ],
  params: [
    { name: 'in_h', type: 'u32' },
    { name: 'in_w', type: 'u32' },
    { name: 'in_c4', type: 'u32' },
    { name: 'out_h', type: 'u32' },
    { name: 'out_w', type: 'u32' },
    { name: 'out_c4', type: 'u32' },
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
    // one thread per 4 pixels of a row x one output channel group
    return linearDispatch(params.out_h * ceilDiv(params.out_w, 8) * params.out_c4, 64);
  },
});

/**
 * Packs an OIHW weight [outC][inC][KH][KW]: the vec4 at
 * (((ky*kw + kx)*in_c4 + ic4)*out_c4 + oc4)*4 + i is (W[4oc4+0..3][4ic4+i][ky][kx]), zero out of range.
 */
export function packConv2d(
  weight: Float32Array,
  outC: number,
  inC: number,
  kh: number,
  kw: number,
  bias: Float32Array | undefined,
): PackedLayer {
  if (weight.length !== outC * inC * kh * kw) {
    throw new Error(`packConv2d: weight has ${weight.length} values, expected ${outC}x${inC}x${kh}x${kw}`);
  }
  const inC4 = ceilDiv(inC, 4);
  const outC4 = ceilDiv(outC, 4);
  const w = new Float32Array(kh * kw * inC4 * outC4 * 16);
  for (let o = 0; o < outC; o++) {
    for (let c = 0; c < inC; c++) {
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const v = ((ky * kw + kx) * inC4 + (c >> 2)) * outC4 + (o >> 2);
          w[(v * 4 + (c & 3)) * 4 + (o & 3)] = weight[((o * inC + c) * kh + ky) * kw + kx];
        }
      }
    }
  }
  return { weights: w, bias: packBias(bias, outC) };
}
