/**
 * im2col (shaders/im2col.wgsl): gathers the KHxKW patches of a thin input (the stem: 3
 * channels) into a (out_h*out_w) x K matrix, K = KH*KW*in_c, so a dense conv runs as this
 * gather plus one pointwise GEMM over K input channels (ScheduleOptions.im2col; the WebGPU
 * default on a software adapter, where the GEMM kernel is faster than the direct conv2d and
 * the pointwise pipeline is compiled anyway).
 * Component j of a pixel's row is tap (ky*kw + kx) = floor(j / in_c), input channel j % in_c,
 * zero where the tap falls outside the input and for the padding lanes j >= K.
 */
import { ceilDiv, defineKernel, linearDispatch, type KernelSpec } from './spec.js';

export const IM2COL: KernelSpec = defineKernel({
  name: 'im2col',
  file: 'im2col.wgsl',
  bindings: [
    { name: 'input', binding: 0, kind: 'read-only-storage' },
    { name: 'output', binding: 1, kind: 'storage' },
    { name: 'params', binding: 2, kind: 'uniform' },
  ],
  params: [
    { name: 'in_h', type: 'u32' },
    { name: 'in_w', type: 'u32' },
    { name: 'in_c', type: 'u32' },
    { name: 'in_c4', type: 'u32' },
    { name: 'out_h', type: 'u32' },
    { name: 'out_w', type: 'u32' },
    // K = kh * kw * in_c, and the output's channel groups ceil(K / 4)
    { name: 'k', type: 'u32' },
    { name: 'k4', type: 'u32' },
    { name: 'kh', type: 'u32' },
    { name: 'kw', type: 'u32' },
    { name: 'stride_h', type: 'u32' },
    { name: 'stride_w', type: 'u32' },
    { name: 'dil_h', type: 'u32' },
    { name: 'dil_w', type: 'u32' },
    { name: 'pad_t', type: 'u32' },
    { name: 'pad_l', type: 'u32' },
  ],
  overrides: {},
  workgroupSize: [64, 1, 1],
  dispatchSize(params) {
    // one thread per (output pixel, 4 taps)
    return linearDispatch(params.out_h * params.out_w * ceilDiv(params.kh * params.kw, 4), 64);
  },
});

/**
 * The pointwise weights of a dense OIHW conv [outC][inC][KH][KW] run as im2col + GEMM:
 * [outC][K] with column (ky*kw + kx)*inC + ic (pack it with packPointwise(w, outC, K, bias)).
 */
export function im2colWeights(weight: Float32Array, outC: number, inC: number, kh: number, kw: number): Float32Array {
  if (weight.length !== outC * inC * kh * kw) {
    throw new Error(`im2colWeights: weight has ${weight.length} values, expected ${outC}x${inC}x${kh}x${kw}`);
  }
  const K = kh * kw * inC;
  const w = new Float32Array(outC * K);
  for (let o = 0; o < outC; o++) {
    for (let c = 0; c < inC; c++) {
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) w[o * K + (ky * kw + kx) * inC + c] = weight[((o * inC + c) * kh + ky) * kw + kx];
      }
    }
  }
  return w;
}
