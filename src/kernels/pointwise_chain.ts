/**
 * pointwise_chain: a bottleneck boundary in one dispatch (shaders/pointwise_chain.wgsl): the
 * SE gate computed in the kernel (SCALE=2) or read from a buffer (SCALE=1), the 1x1 project with
 * its residual, and the next block's 1x1 expand (HAS_NEXT=1), over a tile of pixels per workgroup.
 * The scheduler builds these steps from pointwise / squeeze_excite steps (ScheduleOptions.blockFusion).
 */
import { ceilDiv, defineKernel, linearDispatch, type KernelSpec } from './spec.js';

const ACTS = [0, 1, 2, 3, 4, 5] as const;

/** SCALE=2 limits (the kernel's workgroup arrays): in_c4 <= CHAIN_SE_MAX_C4, sq4 <= CHAIN_SE_MAX_SQ4. */
export const CHAIN_SE_MAX_C4 = 256;
export const CHAIN_SE_MAX_SQ4 = 64;
/** pixel quads per workgroup (fewer for tiny layers) */
export const CHAIN_TILE_QUADS = 4;
/**
 * SCALE=2: every workgroup pools the whole input for the gate, so the tile grows until there are
 * at most this many workgroups (the redundant pooling then costs at most this many passes over the input)
 */
export const CHAIN_SE_WORKGROUPS = 8;

export const POINTWISE_CHAIN: KernelSpec = defineKernel({
  name: 'pointwise_chain',
  file: 'pointwise_chain.wgsl',
  bindings: [
    { name: 'input', binding: 0, kind: 'read-only-storage' },
    { name: 'weights', binding: 1, kind: 'read-only-storage' },
    { name: 'scale', binding: 2, kind: 'read-only-storage' },
    { name: 'residual', binding: 3, kind: 'read-only-storage' },
    { name: 'mid', binding: 4, kind: 'storage' },
    { name: 'output', binding: 5, kind: 'storage' },
    { name: 'params', binding: 6, kind: 'uniform' },
  ],
  params: [
    { name: 'pixels', type: 'u32' },
    { name: 'in_c4', type: 'u32' },
    { name: 'mid_c4', type: 'u32' },
    { name: 'out_c4', type: 'u32' },
    { name: 'tile_quads', type: 'u32' },
    { name: 'w_offset', type: 'u32' },
    { name: 'b_offset', type: 'u32' },
    { name: 'w2_offset', type: 'u32' },
    { name: 'b2_offset', type: 'u32' },
    { name: 'sq4', type: 'u32' },
    { name: 'se_w1', type: 'u32' },
    { name: 'se_b1', type: 'u32' },
    { name: 'se_w2', type: 'u32' },
    { name: 'se_b2', type: 'u32' },
    { name: 'se_act1', type: 'u32' },
    { name: 'se_act2', type: 'u32' },
    { name: 'clamp_lo', type: 'f32' },
    { name: 'clamp_hi', type: 'f32' },
    { name: 'post_lo', type: 'f32' },
    { name: 'post_hi', type: 'f32' },
    { name: 'scale_lo', type: 'f32' },
    { name: 'scale_hi', type: 'f32' },
    { name: 'c2_lo', type: 'f32' },
    { name: 'c2_hi', type: 'f32' },
    { name: 'post2_lo', type: 'f32' },
    { name: 'post2_hi', type: 'f32' },
    { name: 'pool_lo', type: 'f32' },
    { name: 'pool_hi', type: 'f32' },
    { name: 'fc1_lo', type: 'f32' },
    { name: 'fc1_hi', type: 'f32' },
    { name: 'fc2_lo', type: 'f32' },
    { name: 'fc2_hi', type: 'f32' },
    // the param overrides (one pipeline per SCALE x HAS_NEXT)
    { name: 'act', type: 'u32' },
    { name: 'act2', type: 'u32' },
    { name: 'has_res', type: 'u32' },
  ],
  overrides: { ACT: ACTS, ACT2: ACTS, SCALE: [0, 1, 2], HAS_RES: [0, 1], HAS_NEXT: [0, 1] },
  paramOverrides: ['ACT', 'ACT2', 'HAS_RES'],
  workgroupSize: [64, 1, 1],
  dispatchSize(params, overrides) {
    if (overrides.SCALE === 2 && (params.in_c4 > CHAIN_SE_MAX_C4 || params.sq4 > CHAIN_SE_MAX_SQ4)) {
      throw new Error(`pointwise_chain: in-kernel SE with c4=${params.in_c4} / sq4=${params.sq4} exceeds ${CHAIN_SE_MAX_C4} / ${CHAIN_SE_MAX_SQ4}`);
    }
    if (!(params.tile_quads >= 1)) throw new Error(`pointwise_chain: tile_quads must be at least 1, got ${params.tile_quads}`);
    // one workgroup per tile of 4 * tile_quads pixels
    return linearDispatch(ceilDiv(params.pixels, 4 * params.tile_quads) * 64, 64);
  },
});
