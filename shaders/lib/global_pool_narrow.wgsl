// global_pool_narrow.wgsl: the pools' path for few pixels (pixels <= 64, e.g. the classifier's
// 7x7): one thread per channel group sums its column, q = (wg.y*num_wg.x + wg.x)*64 + local,
// ceil(c4/64) workgroups instead of c4 mostly idle ones (2.6 ms of a SwiftShader frame for the
// uint8 Small's last pool). Needs the includer's `params` (pixels, c4), `input` and `output`.
const NARROW_MAX_PIXELS: u32 = 64u;

fn pool_narrow(t: u32) {
  let c4 = params.c4;
  if (t >= c4) {
    return;
  }
  var s = vec4<f32>(0.0);
  for (var p = 0u; p < params.pixels; p++) {
    s += input[p * c4 + t];
  }
  output[t] = s / f32(params.pixels);
}
