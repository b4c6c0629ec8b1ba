// depthwise.wgsl: KHxKW depthwise convolution with stride, dilation and zero padding.
//   out[oy][ox][c] = clamp(act(bias[c] + sum_{ky,kx} w[c][ky][kx] *
//                     in[oy*stride_h - pad_t + ky*dil_h][ox*stride_w - pad_l + kx*dil_w][c]), clamp_lo, clamp_hi)
//   (input positions outside in_h x in_w read as zero; bottom/right padding is implied by out_h/out_w)
// Layouts (array<vec4<f32>>, NHWC, channels padded to 4): input (y*in_w + x)*c4 + q;
//   output (oy*out_w + ox)*c4 + q; weights: tap (ky,kx) of channel group q at
//   w_offset + (ky*KW + kx)*c4 + q; bias: c4 vec4 at b_offset.
// One thread: one output vec4 (4 channels of one pixel), t = (oy*out_w + ox)*c4 + q, so
//   neighbouring threads read neighbouring channel groups.
// Dispatch: 64 threads per workgroup, linear t = (wg.y*num_wg.x + wg.x)*64 + local,
//   ceil(out_h*out_w*c4/64) workgroups, folded into 2D when > 65535 (see linearDispatch).

struct Params {
  in_h: u32,
  in_w: u32,
  out_h: u32,
  out_w: u32,
  c4: u32,
  stride_h: u32,
  stride_w: u32,
  dil_h: u32,
  dil_w: u32,
  pad_t: u32,
  pad_l: u32,
  w_offset: u32,
  b_offset: u32,
  clamp_lo: f32,
  clamp_hi: f32,
  act: u32,  // the ACT override, read at run time (one pipeline per kernel size)
}

override KH: u32 = 3u;
override KW: u32 = 3u;

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

//! include act_params.wgsl

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * 64u + lid;
  let c4 = params.c4;
  if (t >= params.out_h * params.out_w * c4) {
    return;
  }
  let q = t % c4;
  let pix = t / c4;
  let ox = pix % params.out_w;
  let oy = pix / params.out_w;
  let iy0 = i32(oy * params.stride_h) - i32(params.pad_t);
  let ix0 = i32(ox * params.stride_w) - i32(params.pad_l);
  let in_h = i32(params.in_h);
  let in_w = i32(params.in_w);
  var acc = weights[params.b_offset + q];
  for (var ky = 0u; ky < KH; ky++) {
    let iy = iy0 + i32(ky * params.dil_h);
    if (iy < 0 || iy >= in_h) {
      continue;
    }
    let row = u32(iy) * params.in_w;
    for (var kx = 0u; kx < KW; kx++) {
      let ix = ix0 + i32(kx * params.dil_w);
      if (ix < 0 || ix >= in_w) {
        continue;
      }
      acc += weights[params.w_offset + (ky * KW + kx) * c4 + q] * input[(row + u32(ix)) * c4 + q];
    }
  }
  output[t] = clamp(apply_act(act_of(params.act), acc), vec4<f32>(params.clamp_lo), vec4<f32>(params.clamp_hi));
}
