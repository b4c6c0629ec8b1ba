// global_pool.wgsl: global average pool, output[q] = (sum_p input[p*c4 + q]) / pixels.
// Layouts (array<vec4<f32>>): input pixels*c4 (NHWC, channels padded to 4) at p*c4 + q;
//   output c4 vec4.
// One workgroup per channel group q; its 64 threads sum pixels lid, lid + 64, ... and a
//   tree reduction in workgroup memory adds the 64 partial sums; thread 0 writes the mean.
// Dispatch: c4 workgroups of 64 threads, q = wg.y*num_wg.x + wg.x (2D fold when c4 > 65535);
//   with pixels <= 64, one thread per channel group instead (shaders/lib/global_pool_narrow.wgsl).

struct Params {
  pixels: u32,
  c4: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

//! include global_pool_narrow.wgsl

var<workgroup> partial: array<vec4<f32>, 64>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  if (params.pixels <= NARROW_MAX_PIXELS) {
    // uniform: the same for every thread of the dispatch
    pool_narrow((wid.y * nwg.x + wid.x) * 64u + lid);
    return;
  }
  let q = wid.y * nwg.x + wid.x;
  let c4 = params.c4;
  if (q >= c4) {
    return; // uniform per workgroup: q and c4 are the same for all its threads
  }
  var s = vec4<f32>(0.0);
  for (var p = lid; p < params.pixels; p += 64u) {
    s += input[p * c4 + q];
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (lid < w) {
      partial[lid] += partial[lid + w];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    output[q] = partial[0] / f32(params.pixels);
  }
}
