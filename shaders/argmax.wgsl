// argmax.wgsl: index of the largest of the c logical channels at every pixel, as a float.
//   out[p] = (k, 0, 0, 0) with k the first channel of the largest value: scanning channels
//   0..c-1, k moves to channel ch only when x[p][ch] > x[p][k] (ties keep the lower index).
// Layouts (array<vec4<f32>>, NHWC, channels padded to 4): input pixels*c4 at p*c4 + q;
//   output pixels vec4 (one channel, padded to 4; lanes 1..3 are 0).
// One thread: one pixel, p = (wg.y*num_wg.x + wg.x)*64 + local.
// Dispatch: 64 threads per workgroup, ceil(pixels/64) workgroups, folded into 2D when > 65535
//   (see linearDispatch).

struct Params {
  pixels: u32,
  c4: u32,
  c: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = (wid.y * nwg.x + wid.x) * 64u + lid;
  if (p >= params.pixels) {
    return;
  }
  let c4 = params.c4;
  let c = params.c;
  let base = p * c4;
  var best = 0u;
  var best_v = input[base].x;
  for (var q = 0u; q < c4; q++) {
    let v = input[base + q];
    for (var j = 0u; j < 4u; j++) {
      let ch = q * 4u + j;
      if (ch < c && v[j] > best_v) {
        best = ch;
        best_v = v[j];
      }
    }
  }
  output[p] = vec4<f32>(f32(best), 0.0, 0.0, 0.0);
}
