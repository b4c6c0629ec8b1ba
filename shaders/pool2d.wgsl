// pool2d.wgsl: windowed max (KIND 1) or average (KIND 0) pooling with stride and padding.
//   window of (oy, ox): rows oy*stride_h - pad_t + [0, kh), cols ox*stride_w - pad_l + [0, kw);
//   positions outside in_h x in_w are skipped (never read as zero);
//   max: the largest valid tap (-3.4028235e38, the lowest f32, for a window with no valid tap);
//   avg: the sum of the valid taps / (count_include_pad == 1 ? kh*kw : max(valid taps, 1)).
//   kh / kw are runtime Params (not overrides), so large windows (e.g. 49x49) work.
// Layouts (array<vec4<f32>>, NHWC, channels padded to 4): input (y*in_w + x)*c4 + q;
//   output (oy*out_w + ox)*c4 + q.
// One thread: one output vec4 (4 channels of one pixel), t = (oy*out_w + ox)*c4 + q.
// Dispatch: 64 threads per workgroup, linear t = (wg.y*num_wg.x + wg.x)*64 + local,
//   ceil(out_h*out_w*c4/64) workgroups, folded into 2D when > 65535 (see linearDispatch).

struct Params {
  in_h: u32,
  in_w: u32,
  out_h: u32,
  out_w: u32,
  c4: u32,
  kh: u32,
  kw: u32,
  stride_h: u32,
  stride_w: u32,
  pad_t: u32,
  pad_l: u32,
  count_include_pad: u32,
}

override KIND: u32 = 0u;

const LOWEST: f32 = -0x1.fffffep+127f; // the lowest finite f32

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

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
  // the valid taps: ky in [ky_lo, ky_hi), kx in [kx_lo, kx_hi)
  let ky_lo = u32(max(-iy0, 0));
  let ky_hi = u32(clamp(i32(params.in_h) - iy0, 0, i32(params.kh)));
  let kx_lo = u32(max(-ix0, 0));
  let kx_hi = u32(clamp(i32(params.in_w) - ix0, 0, i32(params.kw)));
  var acc = vec4<f32>(0.0);
  if (KIND == 1u) {
    acc = vec4<f32>(LOWEST);
  }
  for (var ky = ky_lo; ky < ky_hi; ky++) {
    let row = u32(iy0 + i32(ky)) * params.in_w;
    for (var kx = kx_lo; kx < kx_hi; kx++) {
      let v = input[(row + u32(ix0 + i32(kx))) * c4 + q];
      if (KIND == 1u) {
        acc = max(acc, v);
      } else {
        acc += v;
      }
    }
  }
  if (KIND == 1u) {
    output[t] = acc;
  } else {
    var count = params.kh * params.kw;
    if (params.count_include_pad == 0u) {
      count = max(select(0u, (ky_hi - ky_lo) * (kx_hi - kx_lo), ky_hi > ky_lo && kx_hi > kx_lo), 1u);
    }
    output[t] = acc / f32(count);
  }
}
