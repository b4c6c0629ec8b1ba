// im2col.wgsl: the KHxKW patches of an NHWC map as rows of a (out_h*out_w) x K matrix,
//   K = kh*kw*in_c, for a dense conv run as this gather + one pointwise GEMM.
//   Component j of pixel (oy, ox): tap t = j / in_c (ky = t / kw, kx = t % kw), channel
//   ic = j % in_c, the input at (oy*stride_h - pad_t + ky*dil_h, ox*stride_w - pad_l + kx*dil_w),
//   zero outside the input and for the padding lanes j >= K.
// Layouts (array<vec4<f32>>, channels padded to 4): input (y*in_w + x)*in_c4 + q;
//   output (oy*out_w + ox)*k4 + q, k4 = ceil(K / 4).
// One thread: 4 consecutive taps of one output pixel, t = (oy*out_w + ox)*tg + g with
//   tg = ceil(kh*kw / 4) tap groups. With in_c == 3 (an RGB stem) the 4 taps are 12 components,
//   i.e. output vec4s 3g .. 3g+2 (those < k4): 4 input loads, static swizzles, 3 stores. Other
//   in_c (<= 4): the same vec4s component by component (slower; no MobileNetV3 stem has them).
// Dispatch: 64 threads per workgroup, linear t = (wg.y*num_wg.x + wg.x)*64 + local,
//   ceil(out_h*out_w*tg/64) workgroups, folded into 2D when > 65535 (see linearDispatch).

struct Params {
  in_h: u32,
  in_w: u32,
  in_c: u32,
  in_c4: u32,
  out_h: u32,
  out_w: u32,
  k: u32,
  k4: u32,
  kh: u32,
  kw: u32,
  stride_h: u32,
  stride_w: u32,
  dil_h: u32,
  dil_w: u32,
  pad_t: u32,
  pad_l: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

// input vec4 `g` of tap `tap` of the pixel whose window starts at (y0, x0); zero outside
fn tap_load(y0: i32, x0: i32, tap: u32, g: u32) -> vec4<f32> {
  if (tap >= params.kh * params.kw) {
    return vec4<f32>(0.0);
  }
  let ky = tap / params.kw;
  let kx = tap - ky * params.kw;
  let iy = y0 + i32(ky * params.dil_h);
  let ix = x0 + i32(kx * params.dil_w);
  if (iy < 0 || iy >= i32(params.in_h) || ix < 0 || ix >= i32(params.in_w)) {
    return vec4<f32>(0.0);
  }
  return input[(u32(iy) * params.in_w + u32(ix)) * params.in_c4 + g];
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * 64u + lid;
  let tg = (params.kh * params.kw + 3u) / 4u;
  if (t >= params.out_h * params.out_w * tg) {
    return;
  }
  let g = t % tg;
  let pix = t / tg;
  let ox = pix % params.out_w;
  let oy = pix / params.out_w;
  let y0 = i32(oy * params.stride_h) - i32(params.pad_t);
  let x0 = i32(ox * params.stride_w) - i32(params.pad_l);
  let k4 = params.k4;
  let o = pix * k4 + g * 3u;
  if (params.in_c == 3u) {
    let a = tap_load(y0, x0, g * 4u, 0u);
    let b = tap_load(y0, x0, g * 4u + 1u, 0u);
    let c = tap_load(y0, x0, g * 4u + 2u, 0u);
    let d = tap_load(y0, x0, g * 4u + 3u, 0u);
    output[o] = vec4<f32>(a.xyz, b.x);
    if (g * 3u + 1u < k4) {
      output[o + 1u] = vec4<f32>(b.yz, c.xy);
    }
    if (g * 3u + 2u < k4) {
      output[o + 2u] = vec4<f32>(c.z, d.xyz);
    }
    return;
  }
  // general in_c (<= 4, in_c4 == 1): the vec4s 3g .. 3g+2 of this pixel's row, by component
  for (var q = g * 3u; q < min(g * 3u + 3u, k4); q++) {
    var v = vec4<f32>(0.0);
    for (var i = 0u; i < 4u; i++) {
      let j = q * 4u + i;
      if (j < params.k) {
        let ic = j % params.in_c;
        v[i] = tap_load(y0, x0, j / params.in_c, ic / 4u)[ic % 4u];
      }
    }
    output[pix * k4 + q] = v;
  }
}
