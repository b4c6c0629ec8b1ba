// conv2d.wgsl: dense (groups = 1) KHxKW convolution with stride, dilation and zero padding.
//   out[oy][ox][oc] = clamp(act(bias[oc] + sum_{ky,kx,ic} W[oc][ic][ky][kx] *
//                      in[oy*stride_h - pad_t + ky*dil_h][ox*stride_w - pad_l + kx*dil_w][ic]), clamp_lo, clamp_hi)
//   (input positions outside in_h x in_w read as zero)
// Layouts (array<vec4<f32>>, NHWC, channels padded to 4): input (y*in_w + x)*in_c4 + ic4;
//   output (oy*out_w + ox)*out_c4 + oc4; weights: at
//   w_offset + (((ky*KW + kx)*in_c4 + ic4)*out_c4 + oc4)*4 + i the vec4 (W[4oc4+0..3][4ic4+i][ky][kx]),
//   so mat4x4(those 4 vec4) * x = the 4 outputs' partial sums; bias: out_c4 vec4 at b_offset.
// One thread: one output vec4 (4 output channels of one pixel), t = (oy*out_w + ox)*out_c4 + oc4.
// Dispatch: 64 threads per workgroup, linear t = (wg.y*num_wg.x + wg.x)*64 + local,
//   ceil(out_h*out_w*out_c4/64) workgroups, folded into 2D when > 65535 (see linearDispatch).

struct Params {
  in_h: u32,
  in_w: u32,
  in_c4: u32,
  out_h: u32,
  out_w: u32,
  out_c4: u32,
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
  let in_c4 = params.in_c4;
  let out_c4 = params.out_c4;
  if (t >= params.out_h * params.out_w * out_c4) {
    return;
  }
  let oc4 = t % out_c4;
  let pix = t / out_c4;
  let ox = pix % params.out_w;
  let oy = pix / params.out_w;
  let iy0 = i32(oy * params.stride_h) - i32(params.pad_t);
  let ix0 = i32(ox * params.stride_w) - i32(params.pad_l);
  let in_h = i32(params.in_h);
  let in_w = i32(params.in_w);
  var acc = weights[params.b_offset + oc4];
  for (var ky = 0u; ky < KH; ky++) {
    let iy = iy0 + i32(ky * params.dil_h);
    if (iy < 0 || iy >= in_h) {
      continue;
    }
    for (var kx = 0u; kx < KW; kx++) {
      let ix = ix0 + i32(kx * params.dil_w);
      if (ix < 0 || ix >= in_w) {
        continue;
      }
      let xb = (u32(iy) * params.in_w + u32(ix)) * in_c4;
      let tap = (ky * KW + kx) * in_c4;
      for (var ic4 = 0u; ic4 < in_c4; ic4++) {
        let wb = params.w_offset + ((tap + ic4) * out_c4 + oc4) * 4u;
        let m = mat4x4<f32>(weights[wb], weights[wb + 1u], weights[wb + 2u], weights[wb + 3u]);
        acc += m * input[xb + ic4];
      }
    }
  }
  output[t] = clamp(apply_act(act_of(params.act), acc), vec4<f32>(params.clamp_lo), vec4<f32>(params.clamp_hi));
}
