/**
 * squeeze_excite: global average pool (+ clamp) -> fc1 + act1 (+ clamp) -> fc2 + act2 (+ clamp)
 * in one workgroup (shaders/squeeze_excite.wgsl); the output is the per-channel scale vector.
 */
import { ceilDiv, defineKernel, type KernelSpec } from './spec.js';
import { packPointwise, type PackedLayer } from './pointwise.js';

/** Largest c4 / sq4 the kernel takes (sq4 <= its 256-thread workgroup; c4 kept at the tested limit); the scheduler refuses larger. */
export const SE_MAX_C4 = 512;
export const SE_MAX_SQ4 = 128;
/** vec4 of the `scratch` binding the kernel needs (pool partial sums, fc1's hidden vector): one per thread. */
export const SE_SCRATCH_VEC4 = 256;

export const SQUEEZE_EXCITE: KernelSpec = defineKernel({
  name: 'squeeze_excite',
  file: 'squeeze_excite.wgsl',
  bindings: [
    { name: 'input', binding: 0, kind: 'read-only-storage' },
    { name: 'weights', binding: 1, kind: 'read-only-storage' },
    { name: 'output', binding: 2, kind: 'storage' },
    // SE_SCRATCH_VEC4 vec4 of scratch (the plan binds the shared writable dummy, which the GPU executor sizes for it)
    { name: 'scratch', binding: 3, kind: 'storage' },
    { name: 'params', binding: 4, kind: 'uniform' },
  ],
  params: [
    { name: 'pixels', type: 'u32' },
    { name: 'c4', type: 'u32' },
    { name: 'sq4', type: 'u32' },
    { name: 'w1_offset', type: 'u32' },
    { name: 'b1_offset', type: 'u32' },
    { name: 'w2_offset', type: 'u32' },
    { name: 'b2_offset', type: 'u32' },
    { name: 'act1', type: 'u32' },
    { name: 'act2', type: 'u32' },
    // clamps of the pooled mean and the FC outputs (after act); +-NO_CLAMP: none
    { name: 'pool_lo', type: 'f32' },
    { name: 'pool_hi', type: 'f32' },
    { name: 'fc1_lo', type: 'f32' },
    { name: 'fc1_hi', type: 'f32' },
    { name: 'fc2_lo', type: 'f32' },
    { name: 'fc2_hi', type: 'f32' },
  ],
  overrides: {},
  workgroupSize: [256, 1, 1],
  dispatchSize(params) {
    if (params.c4 > SE_MAX_C4 || params.sq4 > SE_MAX_SQ4) {
      throw new Error(`squeeze_excite: c4=${params.c4} / sq4=${params.sq4} exceed ${SE_MAX_C4} / ${SE_MAX_SQ4}`);
    }
    return [1, 1, 1];
  },
});

/**
 * squeeze_excite_sg (shaders/squeeze_excite_sg.wgsl): the same branch with the pool as
 * subgroup reductions (a subgroup per channel group, subgroupAdd over its pixels; no scratch
 * round trip or barriers in the pool). Same bindings, Params, dispatch and result; needs the
 * device feature 'subgroups' (KernelVariants.reductions 'subgroups').
 */
export const SQUEEZE_EXCITE_SG: KernelSpec = defineKernel({ ...SQUEEZE_EXCITE, name: 'squeeze_excite_sg', file: 'squeeze_excite_sg.wgsl' });

export interface PackedSqueezeExcite {
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

/** Packs fc1 [squeeze][channels] and fc2 [channels][squeeze] with the pointwise layout. */
export function packSqueezeExcite(
  fc1: Float32Array,
  b1: Float32Array | undefined,
  fc2: Float32Array,
  b2: Float32Array | undefined,
  channels: number,
  squeeze: number,
): PackedSqueezeExcite {
  if (ceilDiv(channels, 4) > SE_MAX_C4 || ceilDiv(squeeze, 4) > SE_MAX_SQ4) {
    throw new Error(`packSqueezeExcite: ${channels} channels / ${squeeze} squeeze exceed the kernel's limits`);
  }
  const l1: PackedLayer = packPointwise(fc1, squeeze, channels, b1);
  const l2: PackedLayer = packPointwise(fc2, channels, squeeze, b2);
  return { w1: l1.weights, b1: l1.bias, w2: l2.weights, b2: l2.bias };
}
