// pointwise_tiled.wgsl: the pointwise GEMM (pointwise.wgsl: same bindings, Params, overrides,
// packed weights and results) with workgroup-memory tiling, the variant for hardware GPUs.
// A workgroup computes a tile of 32 pixels x 16 output channel groups (64 channels); the
// input channels go in chunks of 8 groups (32 channels): the 64 threads first copy the
// chunk's 32 x 8 input vec4 (with the SE-scale prologue applied once per element) and its
// 8 x 16 x 4 weight vec4 into workgroup memory (12 KiB), then each thread accumulates its
// 4 pixels x 2 channel groups (8 vec4 accumulators, as in pointwise.wgsl) from there. Every
// operand is read from storage once per workgroup instead of once per thread.
// Dispatch: ceil(pixels / 32) * ceil(out_c4 / 16) workgroups of 64 threads, linear
// (folded into 2D when > 65535): workgroup w -> channel tile w % tiles_n, pixel tile w / tiles_n.

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
  act: u32,
  has_res: u32,
  has_scale: u32,
}


const TP: u32 = 32u;  // pixels per tile
const TN: u32 = 16u;  // output channel groups per tile
const KC: u32 = 8u;   // input channel groups per chunk

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> scale: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> residual: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> xs: array<vec4<f32>, 256>;  // [TP][KC]
var<workgroup> ws: array<vec4<f32>, 512>;  // [KC][TN][4]

//! include act_params.wgsl

//! include pointwise_finish.wgsl

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let in_c4 = params.in_c4;
  let out_c4 = params.out_c4;
  let tiles_n = (out_c4 + TN - 1u) / TN;
  let w = wid.y * nwg.x + wid.x;
  let tp = w / tiles_n;
  if (tp * TP >= params.pixels) {
    return; // the whole workgroup: uniform
  }
  let p_base = tp * TP;
  let n_base = (w % tiles_n) * TN;
  let last = params.pixels - 1u;
  let pq = lid / 8u;       // pixel quad 0..7
  let oq = lid % 8u;       // channel pair 0..7
  let oc0 = n_base + oq * 2u;
  let oc1 = oc0 + 1u;
  let bias0 = weights[params.b_offset + min(oc0, out_c4 - 1u)];
  let bias1 = weights[params.b_offset + min(oc1, out_c4 - 1u)];
  var a00 = bias0; var a01 = bias0; var a02 = bias0; var a03 = bias0;
  var a10 = bias1; var a11 = bias1; var a12 = bias1; var a13 = bias1;
  for (var k0 = 0u; k0 < in_c4; k0 += KC) {
    // the chunk's input: 256 vec4, 4 per thread
    for (var j = 0u; j < 4u; j++) {
      let e = lid + j * 64u;
      let p = e / KC;
      let kk = e % KC;
      var x = vec4<f32>(0.0);
      if (k0 + kk < in_c4) {
        x = input[min(p_base + p, last) * in_c4 + k0 + kk];
        if (params.has_scale == 1u) {
          x = clamp(x * scale[k0 + kk], vec4<f32>(params.scale_lo), vec4<f32>(params.scale_hi));
        }
      }
      xs[e] = x;
    }
    // the chunk's weights: 512 vec4, 8 per thread
    for (var j = 0u; j < 8u; j++) {
      let e = lid + j * 64u;
      let kk = e / (TN * 4u);
      let n = (e / 4u) % TN;
      let i = e % 4u;
      var v = vec4<f32>(0.0);
      if (k0 + kk < in_c4 && n_base + n < out_c4) {
        v = weights[params.w_offset + ((k0 + kk) * out_c4 + n_base + n) * 4u + i];
      }
      ws[e] = v;
    }
    workgroupBarrier();
    let kn = min(KC, in_c4 - k0);
    for (var kk = 0u; kk < kn; kk++) {
      let x0 = xs[(pq * 4u) * KC + kk];
      let x1 = xs[(pq * 4u + 1u) * KC + kk];
      let x2 = xs[(pq * 4u + 2u) * KC + kk];
      let x3 = xs[(pq * 4u + 3u) * KC + kk];
      let b0 = (kk * TN + oq * 2u) * 4u;
      let b1 = b0 + 4u;
      let m0 = mat4x4<f32>(ws[b0], ws[b0 + 1u], ws[b0 + 2u], ws[b0 + 3u]);
      let m1 = mat4x4<f32>(ws[b1], ws[b1 + 1u], ws[b1 + 2u], ws[b1 + 3u]);
      a00 += m0 * x0; a01 += m0 * x1; a02 += m0 * x2; a03 += m0 * x3;
      a10 += m1 * x0; a11 += m1 * x1; a12 += m1 * x2; a13 += m1 * x3;
    }
    workgroupBarrier();
  }
  let p0 = p_base + pq * 4u;
  finish_tile(a00, a01, a02, a03, a10, a11, a12, a13, p0, last, oc0, oc1, oc0 < out_c4, oc1 < out_c4);
}
