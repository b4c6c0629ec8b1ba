/** CPU twin of shaders/pointwise_chain.wgsl: the SE, project and next-layer twins composed on the same packed data. */
import type { OverrideValues, ParamValues } from '../spec.js';
import { view } from './act.js';
import { cpuPointwise } from './pointwise.js';
import { cpuSqueezeExcite } from './squeeze_excite.js';

export function cpuPointwiseChain(
  views: Record<string, Float32Array>,
  params: ParamValues,
  overrides: OverrideValues,
): void {
  const input = view(views, 'input', 'pointwise_chain');
  const weights = view(views, 'weights', 'pointwise_chain');
  const mid = view(views, 'mid', 'pointwise_chain');
  const p = params;
  let scale: Float32Array | undefined;
  if (overrides.SCALE === 2) {
    scale = new Float32Array(p.in_c4 * 4);
    cpuSqueezeExcite({ input, weights, output: scale }, {
      pixels: p.pixels, c4: p.in_c4, sq4: p.sq4, w1_offset: p.se_w1, b1_offset: p.se_b1, w2_offset: p.se_w2, b2_offset: p.se_b2,
      act1: p.se_act1, act2: p.se_act2, pool_lo: p.pool_lo, pool_hi: p.pool_hi, fc1_lo: p.fc1_lo, fc1_hi: p.fc1_hi, fc2_lo: p.fc2_lo, fc2_hi: p.fc2_hi,
    }, {});
  } else if (overrides.SCALE === 1) {
    scale = view(views, 'scale', 'pointwise_chain');
  }
  const first: Record<string, Float32Array> = { input, weights, output: mid };
  if (scale) first.scale = scale;
  if (overrides.HAS_RES === 1) first.residual = view(views, 'residual', 'pointwise_chain');
  cpuPointwise(first, {
    pixels: p.pixels, in_c4: p.in_c4, out_c4: p.mid_c4, w_offset: p.w_offset, b_offset: p.b_offset,
    clamp_lo: p.clamp_lo, clamp_hi: p.clamp_hi, post_lo: p.post_lo, post_hi: p.post_hi, scale_lo: p.scale_lo, scale_hi: p.scale_hi,
  }, { ACT: overrides.ACT, HAS_SCALE: scale ? 1 : 0, HAS_RES: overrides.HAS_RES });
  if (overrides.HAS_NEXT !== 1) return;
  cpuPointwise({ input: mid, weights, output: view(views, 'output', 'pointwise_chain') }, {
    pixels: p.pixels, in_c4: p.mid_c4, out_c4: p.out_c4, w_offset: p.w2_offset, b_offset: p.b2_offset,
    clamp_lo: p.c2_lo, clamp_hi: p.c2_hi, post_lo: p.post2_lo, post_hi: p.post2_hi, scale_lo: p.scale_lo, scale_hi: p.scale_hi,
  }, { ACT: overrides.ACT2, HAS_SCALE: 0, HAS_RES: 0 });
}
