/**
 * pointwise: 1x1 convolution / fully connected layer (shaders/pointwise.wgsl), with the fused
 * SE-scale prologue (HAS_SCALE; input * scale clamped to [scale_lo, scale_hi]) and residual
 * epilogue (HAS_RES). All three overrides are read from Params, so a model needs one pointwise
 * pipeline (HAS_SCALE picks one of two copies of the inner loop under a uniform branch: one
 * SwiftShader compile of ~0.27 s instead of two of ~0.17 s).
 */
import { ceilDiv, defineKernel, linearDispatch, type KernelSpec } from './spec.js';

const ACTS = [0, 1, 2, 3, 4, 5] as const;

export const POINTWISE: KernelSpec = defineKernel({
  name: 'pointwise',
  file: 'pointwise.wgsl',
  bindings: [
    { name: 'input', binding: 0, kind: 'read-only-storage' },
    { name: 'weights', binding: 1, kind: 'read-only-storage' },
    { name: 'scale', binding: 2, kind: 'read-only-storage' },
    { name: 'residual', binding: 3, kind: 'read-only-storage' },
    { name: 'output', binding: 4, kind: 'storage' },
    { name: 'params', binding: 5, kind: 'uniform' },
  ],
  params: [
    { name: 'pixels', type: 'u32' },
    { name: 'in_c4', type: 'u32' },
    { name: 'out_c4', type: 'u32' },
    { name: 'w_offset', type: 'u32' },
    { name: 'b_offset', type: 'u32' },
    { name: 'clamp_lo', type: 'f32' },
    { name: 'clamp_hi', type: 'f32' },
    { name: 'post_lo', type: 'f32' },
    { name: 'post_hi', type: 'f32' },
    // HAS_SCALE only: clamp of input * scale (+-NO_CLAMP: none)
    { name: 'scale_lo', type: 'f32' },
    { name: 'scale_hi', type: 'f32' },
    // the ACT, HAS_RES and HAS_SCALE overrides (param overrides: one pipeline for all)
    { name: 'act', type: 'u32' },
    { name: 'has_res', type: 'u32' },
    { name: 'has_scale', type: 'u32' },
  ],
  overrides: { ACT: ACTS, HAS_SCALE: [0, 1], HAS_RES: [0, 1] },
  paramOverrides: ['ACT', 'HAS_RES', 'HAS_SCALE'],
  workgroupSize: [64, 1, 1],
  dispatchSize(params) {
    // one thread per (4 pixels) x (2 output channel groups)
    return linearDispatch(ceilDiv(params.out_c4, 2) * ceilDiv(params.pixels, 4), 64);
  },
});

/**
 * pointwise_tiled (shaders/pointwise_tiled.wgsl): the same GEMM with workgroup-memory tiling
 * (32 pixels x 64 channels per workgroup, input channels in chunks of 32), the hardware-GPU
 * variant. Same bindings, Params, overrides, packed weights and results as POINTWISE; the GPU
 * executor runs it in place of a pointwise step when the model's kernel variants say so.
 */
export const POINTWISE_TILED: KernelSpec = defineKernel({
  ...POINTWISE,
  name: 'pointwise_tiled',
  file: 'pointwise_tiled.wgsl',
  dispatchSize(params) {
    return linearDispatch(ceilDiv(params.pixels, 32) * ceilDiv(params.out_c4, 16) * 64, 64);
  },
});

export interface PackedLayer {
  /** packed weights, vec4-aligned (length % 4 == 0) */
  readonly weights: Float32Array;
  /** bias, zero-padded to the output's c4 * 4 (all zero when there is none) */
  readonly bias: Float32Array;
}

export function packBias(bias: Float32Array | undefined, channels: number): Float32Array {
  const out = new Float32Array(ceilDiv(channels, 4) * 4);
  if (bias) {
    if (bias.length !== channels) throw new Error(`bias has ${bias.length} values, expected ${channels}`);
    out.set(bias);
  }
  return out;
}

/**
 * Packs a [outC][inC] row-major weight (OIHW with 1x1) for pointwise.wgsl: the vec4 at
 * (ic4*out_c4 + oc4)*4 + i is (W[4oc4+0][4ic4+i], ..., W[4oc4+3][4ic4+i]), zero out of range.
 */
export function packPointwise(
  weight: Float32Array,
  outC: number,
  inC: number,
  bias: Float32Array | undefined,
): PackedLayer {
  if (weight.length !== outC * inC) {
    throw new Error(`packPointwise: weight has ${weight.length} values, expected ${outC}x${inC}`);
  }
  const inC4 = ceilDiv(inC, 4);
  const outC4 = ceilDiv(outC, 4);
  const w = new Float32Array(inC4 * outC4 * 16);
  for (let o = 0; o < outC; o++) {
    const oc4 = o >> 2;
    const j = o & 3;
    for (let c = 0; c < inC; c++) {
      const ic4 = c >> 2;
      const i = c & 3;
      w[((ic4 * outC4 + oc4) * 4 + i) * 4 + j] = weight[o * inC + c];
    }
  }
  return { weights: w, bias: packBias(bias, outC) };
}
