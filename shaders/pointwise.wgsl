// pointwise.wgsl: 1x1 convolution / fully connected layer as a register-blocked GEMM.
//   acc[p][oc] = bias[oc] + sum_ic W[oc][ic] * x[p][ic], where
//   x[p][ic] = HAS_SCALE ? clamp(input[p][ic] * scale[ic], scale_lo, scale_hi) : input[p][ic]
//   (the SE prologue; scale_lo/hi: a quantized gating multiply's range, else +-NO_CLAMP)
//   v = clamp(act(acc), clamp_lo, clamp_hi); if HAS_RES: v += residual[p][oc]
//   output[p][oc] = clamp(v, post_lo, post_hi)
// Layouts (all array<vec4<f32>>, NHWC, channels padded to 4):
//   input: pixels*in_c4 at p*in_c4+ic4; output, residual: pixels*out_c4 at p*out_c4+oc4;
//   scale: in_c4 (per input channel, e.g. the SE excitation);
//   weights: at w_offset + (ic4*out_c4 + oc4)*4 + i the vec4 (W[4oc4+0..3][4ic4+i]),
//   so mat4x4(those 4 vec4) * x = the 4 outputs' partial sums; bias: out_c4 at b_offset.
// One thread: 4 consecutive pixels x 2 consecutive output channel groups (8 vec4 accumulators).
// Dispatch: 64 threads per workgroup, linear thread id
//   t = (wg.y*num_wg.x + wg.x)*64 + local, oc pair = t % ceil(out_c4/2), pixel quad = t / ceil(out_c4/2);
//   ceil(pairs*quads/64) workgroups, folded into 2D when > 65535 (see linearDispatch).

struct Params {
  pixels: u32,
  in_c4: u32,
  out_c4: u32,
  w_offset: u32,
  b_offset: u32,
  clamp_lo: f32,
  clamp_hi: f32,
  post_lo: f32,
  post_hi: f32,
  scale_lo: f32,
  scale_hi: f32,
  act: u32,      // the ACT override (0 none .. 5 sigmoid), read at run time
  has_res: u32,  // the HAS_RES override, read at run time
  has_scale: u32, // the HAS_SCALE override, read at run time
}

// ACT, HAS_RES and HAS_SCALE are Params (one pipeline for all their values): ACT and HAS_RES
// steer the epilogue, HAS_SCALE picks one of two copies of the inner loop.

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> scale: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> residual: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> params: Params;

//! include act_params.wgsl

//! include pointwise_finish.wgsl

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * 64u + lid;
  let in_c4 = params.in_c4;
  let out_c4 = params.out_c4;
  let pairs = (out_c4 + 1u) / 2u;
  if (t >= pairs * ((params.pixels + 3u) / 4u)) {
    return;
  }
  let oc0 = (t % pairs) * 2u;
  let oc1 = min(oc0 + 1u, out_c4 - 1u); // duplicate of oc0 when out_c4 is odd; not stored
  let p0 = (t / pairs) * 4u;
  let last = params.pixels - 1u;
  // rows of the 4 pixels; pixels past the end re-read the last one and are not stored
  let r0 = p0 * in_c4;
  let r1 = min(p0 + 1u, last) * in_c4;
  let r2 = min(p0 + 2u, last) * in_c4;
  let r3 = min(p0 + 3u, last) * in_c4;
  let bias0 = weights[params.b_offset + oc0];
  let bias1 = weights[params.b_offset + oc1];
  var a00 = bias0; var a01 = bias0; var a02 = bias0; var a03 = bias0;
  var a10 = bias1; var a11 = bias1; var a12 = bias1; var a13 = bias1;
  // two copies of the loop under a uniform branch: one pipeline for both (a branch inside the
  // loop cost SwiftShader 30-45% on the unscaled layers)
  if (params.has_scale == 1u) {
    let slo = vec4<f32>(params.scale_lo);
    let shi = vec4<f32>(params.scale_hi);
    for (var k = 0u; k < in_c4; k++) {
      let s = scale[k];
      let x0 = clamp(input[r0 + k] * s, slo, shi);
      let x1 = clamp(input[r1 + k] * s, slo, shi);
      let x2 = clamp(input[r2 + k] * s, slo, shi);
      let x3 = clamp(input[r3 + k] * s, slo, shi);
      let wb0 = params.w_offset + (k * out_c4 + oc0) * 4u;
      let wb1 = params.w_offset + (k * out_c4 + oc1) * 4u;
      let m0 = mat4x4<f32>(weights[wb0], weights[wb0 + 1u], weights[wb0 + 2u], weights[wb0 + 3u]);
      let m1 = mat4x4<f32>(weights[wb1], weights[wb1 + 1u], weights[wb1 + 2u], weights[wb1 + 3u]);
      a00 += m0 * x0; a01 += m0 * x1; a02 += m0 * x2; a03 += m0 * x3;
      a10 += m1 * x0; a11 += m1 * x1; a12 += m1 * x2; a13 += m1 * x3;
    }
  } else {
    for (var k = 0u; k < in_c4; k++) {
      let x0 = input[r0 + k];
      let x1 = input[r1 + k];
      let x2 = input[r2 + k];
      let x3 = input[r3 + k];
      let wb0 = params.w_offset + (k * out_c4 + oc0) * 4u;
      let wb1 = params.w_offset + (k * out_c4 + oc1) * 4u;
      let m0 = mat4x4<f32>(weights[wb0], weights[wb0 + 1u], weights[wb0 + 2u], weights[wb0 + 3u]);
      let m1 = mat4x4<f32>(weights[wb1], weights[wb1 + 1u], weights[wb1 + 2u], weights[wb1 + 3u]);
      a00 += m0 * x0; a01 += m0 * x1; a02 += m0 * x2; a03 += m0 * x3;
      a10 += m1 * x0; a11 += m1 * x1; a12 += m1 * x2; a13 += m1 * x3;
    }
  }
  // oc1 duplicates oc0 when out_c4 is odd: not stored
  finish_tile(a00, a01, a02, a03, a10, a11, a12, a13, p0, last, oc0, oc1, true, oc0 + 1u < out_c4);
}
