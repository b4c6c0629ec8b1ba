// conv2d.wgsl: dense (groups = 1) KHxKW convolution with stride, dilation and zero padding.
//   out[oy][ox][oc] = clamp(act(bias[oc] + sum_{ky,kx,ic} W[oc][ic][ky][kx] *
//                      in[oy*stride_h - pad_t + ky*dil_h][ox*stride_w - pad_l + kx*dil_w][ic]), clamp_lo, clamp_hi)
//   (input positions outside in_h x in_w read as zero)
// Layouts (array<vec4<f32>>, NHWC, channels padded to 4): input (y*in_w + x)*in_c4 + ic4;
//   output (oy*out_w + ox)*out_c4 + oc4; weights: at
//   w_offset + (((ky*KW + kx)*in_c4 + ic4)*out_c4 + oc4)*4 + i the vec4 (W[4oc4+0..3][4ic4+i][ky][kx]),
//   so mat4x4(those 4 vec4) * x = the 4 outputs' partial sums; bias: out_c4 vec4 at b_offset.
// One thread: 8 consecutive output pixels of a row x one output channel group (8 vec4
//   accumulators), so each tap's weights are loaded once for 8 pixels. The stem was 26% of a
//   SwiftShader frame (uint8 Small, chromium: 27.4 ms) with one output vec4 per thread (46
//   loads per output); 4 pixels per thread: 17.5 ms, 8: 15.1 ms (4 x 2 channel groups: 18.1).
//   t = ((oy*quads + oxq)*out_c4 + oc4), quads = ceil(out_w / 8), pixels ox = 8*oxq + 0..7.
//   Input columns outside the image read as zero through a select (no per-pixel branch).
// Dispatch: 64 threads per workgroup, linear t = (wg.y*num_wg.x + wg.x)*64 + local,
//   ceil(out_h*quads*out_c4/64) workgroups, folded into 2D when > 65535 (see linearDispatch).

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
  let quads = (params.out_w + 7u) / 8u;
  if (t >= params.out_h * quads * out_c4) {
    return;
  }
  let oc4 = t % out_c4;
  let q = t / out_c4;
  let ox0 = (q % quads) * 8u;
  let oy = q / quads;
  let iy0 = i32(oy * params.stride_h) - i32(params.pad_t);
  let ix0 = i32(ox0 * params.stride_w) - i32(params.pad_l);
  let sx = i32(params.stride_w);
  let in_h = i32(params.in_h);
  let in_w = i32(params.in_w);
  let bias = weights[params.b_offset + oc4];
  var a0 = bias; var a1 = bias; var a2 = bias; var a3 = bias;
  var a4 = bias; var a5 = bias; var a6 = bias; var a7 = bias;
  let zero = vec4<f32>(0.0);
  for (var ky = 0u; ky < KH; ky++) {
    let iy = iy0 + i32(ky * params.dil_h);
    if (iy < 0 || iy >= in_h) {
      continue;
    }
    let row = u32(iy) * params.in_w;
    for (var kx = 0u; kx < KW; kx++) {
      let ix = ix0 + i32(kx * params.dil_w);
      // the 4 pixels' input columns, clamped into the row (out-of-range ones are zeroed below)
      let c0 = ix; let c1 = ix + sx; let c2 = ix + 2 * sx; let c3 = ix + 3 * sx;
      let c4 = ix + 4 * sx; let c5 = ix + 5 * sx; let c6 = ix + 6 * sx; let c7 = ix + 7 * sx;
      let ok0 = c0 >= 0 && c0 < in_w; let ok1 = c1 >= 0 && c1 < in_w;
      let ok2 = c2 >= 0 && c2 < in_w; let ok3 = c3 >= 0 && c3 < in_w;
      let ok4 = c4 >= 0 && c4 < in_w; let ok5 = c5 >= 0 && c5 < in_w;
      let ok6 = c6 >= 0 && c6 < in_w; let ok7 = c7 >= 0 && c7 < in_w;
      let b0 = (row + u32(clamp(c0, 0, in_w - 1))) * in_c4;
      let b1 = (row + u32(clamp(c1, 0, in_w - 1))) * in_c4;
      let b2 = (row + u32(clamp(c2, 0, in_w - 1))) * in_c4;
      let b3 = (row + u32(clamp(c3, 0, in_w - 1))) * in_c4;
      let b4 = (row + u32(clamp(c4, 0, in_w - 1))) * in_c4;
      let b5 = (row + u32(clamp(c5, 0, in_w - 1))) * in_c4;
      let b6 = (row + u32(clamp(c6, 0, in_w - 1))) * in_c4;
      let b7 = (row + u32(clamp(c7, 0, in_w - 1))) * in_c4;
      let tap = (ky * KW + kx) * in_c4;
      for (var ic4 = 0u; ic4 < in_c4; ic4++) {
        let wb = params.w_offset + ((tap + ic4) * out_c4 + oc4) * 4u;
        let m = mat4x4<f32>(weights[wb], weights[wb + 1u], weights[wb + 2u], weights[wb + 3u]);
        a0 += m * select(zero, input[b0 + ic4], ok0);
        a1 += m * select(zero, input[b1 + ic4], ok1);
        a2 += m * select(zero, input[b2 + ic4], ok2);
        a3 += m * select(zero, input[b3 + ic4], ok3);
        a4 += m * select(zero, input[b4 + ic4], ok4);
        a5 += m * select(zero, input[b5 + ic4], ok5);
        a6 += m * select(zero, input[b6 + ic4], ok6);
        a7 += m * select(zero, input[b7 + ic4], ok7);
      }
    }
  }
  let a = act_of(params.act);
  let lo = vec4<f32>(params.clamp_lo);
  let hi = vec4<f32>(params.clamp_hi);
  // the stores in a loop over shifting accumulators (the epilogue emitted once)
  var x0 = a0; var x1 = a1; var x2 = a2; var x3 = a3;
  var x4 = a4; var x5 = a5; var x6 = a6; var x7 = a7;
  for (var j = 0u; j < 8u; j++) {
    let ox = ox0 + j;
    if (ox >= params.out_w) {
      break;
    }
    output[(oy * params.out_w + ox) * out_c4 + oc4] = clamp(apply_act(a, x0), lo, hi);
    x0 = x1; x1 = x2; x2 = x3; x3 = x4; x4 = x5; x5 = x6; x6 = x7;
  }
}
