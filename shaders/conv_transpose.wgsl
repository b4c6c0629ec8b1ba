// conv_transpose.wgsl: dense transposed convolution (ONNX ConvTranspose / PyTorch
//   ConvTranspose2d, groups = 1, no dilation) in its gather form: input pixel (iy, ix) scatters
//   W[ic][oc][ky][kx] * in[iy][ix][ic] onto output (iy*stride_h - pad_t + ky, ix*stride_w - pad_l + kx),
//   so each thread sums, for its output pixel, the taps with oy + pad_t - ky = iy*stride_h:
//   acc[oy][ox][oc] = bias[oc] + sum_{ky,kx,ic} W[ic][oc][ky][kx] * in[iy][ix][ic]
//   v = clamp(act(acc), clamp_lo, clamp_hi); if HAS_RES: v += residual[oy][ox][oc]
//   output = clamp(v, post_lo, post_hi)
//   (bottom/right cropping and output_padding are implied by out_h/out_w; kh/kw are runtime
//   Params so large upsampling kernels work)
// Layouts (array<vec4<f32>>, NHWC, channels padded to 4): input (y*in_w + x)*in_c4 + ic4;
//   output, residual (oy*out_w + ox)*out_c4 + oc4; weights (conv2d's layout): at
//   w_offset + (((ky*kw + kx)*in_c4 + ic4)*out_c4 + oc4)*4 + i the vec4 (W[4ic4+i][4oc4+0..3][ky][kx]),
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
  kh: u32,
  kw: u32,
  stride_h: u32,
  stride_w: u32,
  pad_t: u32,
  pad_l: u32,
  w_offset: u32,
  b_offset: u32,
  clamp_lo: f32,
  clamp_hi: f32,
  post_lo: f32,
  post_hi: f32,
}

override ACT: u32 = 0u;
override HAS_RES: u32 = 0u;

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> residual: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;

fn act(x: vec4<f32>) -> vec4<f32> {
  switch ACT {
    case 1u: { return max(x, vec4<f32>(0.0)); }
    case 2u: { return clamp(x, vec4<f32>(0.0), vec4<f32>(6.0)); }
    case 3u: { return x * clamp(x + 3.0, vec4<f32>(0.0), vec4<f32>(6.0)) / 6.0; }
    case 4u: { return clamp(x + 3.0, vec4<f32>(0.0), vec4<f32>(6.0)) / 6.0; }
    case 5u: { return 1.0 / (1.0 + exp(-x)); }
    default: { return x; }
  }
}

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
  let sy = oy + params.pad_t;
  let sx = ox + params.pad_l;
  var acc = weights[params.b_offset + oc4];
  // taps ky = sy % stride_h + j*stride_h read input row iy = sy / stride_h - j
  var iy = i32(sy / params.stride_h);
  for (var ky = sy % params.stride_h; ky < params.kh && iy >= 0; ky += params.stride_h) {
    if (iy < i32(params.in_h)) {
      var ix = i32(sx / params.stride_w);
      for (var kx = sx % params.stride_w; kx < params.kw && ix >= 0; kx += params.stride_w) {
        if (ix < i32(params.in_w)) {
          let xb = (u32(iy) * params.in_w + u32(ix)) * in_c4;
          let tap = (ky * params.kw + kx) * in_c4;
          for (var ic4 = 0u; ic4 < in_c4; ic4++) {
            let wb = params.w_offset + ((tap + ic4) * out_c4 + oc4) * 4u;
            let m = mat4x4<f32>(weights[wb], weights[wb + 1u], weights[wb + 2u], weights[wb + 3u]);
            acc += m * input[xb + ic4];
          }
        }
        ix -= 1;
      }
    }
    iy -= 1;
  }
  var v = clamp(act(acc), vec4<f32>(params.clamp_lo), vec4<f32>(params.clamp_hi));
  if (HAS_RES == 1u) {
    v += residual[t];
  }
  output[t] = clamp(v, vec4<f32>(params.post_lo), vec4<f32>(params.post_hi));
}
