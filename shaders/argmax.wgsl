// argmax.wgsl: index of the largest of the c logical channels at every pixel, as a float.
//   out[p] = (k, 0, 0, 0) with k the first channel of the largest value (ties keep the lower
//   index; finite inputs).
// Layouts (array<vec4<f32>>, NHWC, channels padded to 4): input pixels*c4 at p*c4 + q;
//   output pixels vec4 (one channel, padded to 4; lanes 1..3 are 0).
// WIDE = 0: one thread per pixel, p = (wg.y*num_wg.x + wg.x)*64 + local; ceil(pixels/64)
//   workgroups. WIDE = 1 (many channels, e.g. a classifier's 1000): one workgroup of 64 per
//   pixel, p = wg.y*num_wg.x + wg.x, each thread scanning channel groups lid, lid + 64, ...,
//   then a 6-step tree over (value, channel) in workgroup memory. Both folded into 2D when
//   > 65535 workgroups (see linearDispatch).

//! include argmax_io.wgsl

var<workgroup> tree_v: array<f32, 64>;
var<workgroup> tree_ch: array<u32, 64>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.y * nwg.x + wid.x;
  if (WIDE == 1u) {
    // g is the same for every thread of the workgroup: the barriers are uniform
    if (g >= params.pixels) {
      return;
    }
    let b = scan(g, lid, 64u);
    tree_v[lid] = b.v;
    tree_ch[lid] = b.ch;
    for (var s = 32u; s > 0u; s >>= 1u) {
      workgroupBarrier();
      if (lid < s) {
        let o = Best(tree_v[lid + s], tree_ch[lid + s]);
        if (better(o, Best(tree_v[lid], tree_ch[lid]))) {
          tree_v[lid] = o.v;
          tree_ch[lid] = o.ch;
        }
      }
    }
    if (lid == 0u) {
      store(g, Best(tree_v[0], tree_ch[0]));
    }
  } else {
    let p = g * 64u + lid;
    if (p < params.pixels) {
      store(p, scan(p, 0u, 1u));
    }
  }
}
