// pad.wgsl: spatial constant padding of an NHWC map.
//   out[oy][ox][ch] = in[oy - pad_t][ox - pad_l][ch] inside the input, else `value` for the
//   c logical channels and 0 for the padding lanes of the last channel group (so a value such
//   as -inf never reaches the zero weights of a consumer's padded input channels).
//   (bottom/right padding is implied by out_h/out_w)
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
  c: u32,
  pad_t: u32,
  pad_l: u32,
  value: f32,
}

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
  let iy = i32(oy) - i32(params.pad_t);
  let ix = i32(ox) - i32(params.pad_l);
  if (iy >= 0 && iy < i32(params.in_h) && ix >= 0 && ix < i32(params.in_w)) {
    output[t] = input[(u32(iy) * params.in_w + u32(ix)) * c4 + q];
  } else {
    let lane = vec4<u32>(q * 4u) + vec4<u32>(0u, 1u, 2u, 3u);
    output[t] = select(vec4<f32>(0.0), vec4<f32>(params.value), lane < vec4<u32>(params.c));
  }
}
