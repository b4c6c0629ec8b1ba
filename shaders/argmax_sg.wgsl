// argmax_sg.wgsl: argmax.wgsl (same bindings, Params, overrides, dispatch and result) with
// subgroup reductions in the WIDE path: the largest value over a subgroup is subgroupMax, the
// lowest channel holding it subgroupMin, then the subgroups' winners (64 / subgroup size of
// them, at most 16) meet in workgroup memory after one barrier, instead of a 6-step tree.
// Needs the device feature 'subgroups' (the GPU executor only picks this variant then).
// (Layouts, WIDE and dispatch: see argmax.wgsl.)

enable subgroups;

//! include argmax_io.wgsl

// one winner per subgroup (subgroup sizes are at least 4)
var<workgroup> part_v: array<f32, 16>;
var<workgroup> part_ch: array<u32, 16>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) sid: u32,
        @builtin(subgroup_size) ssize: u32) {
  let g = wid.y * nwg.x + wid.x;
  if (WIDE == 1u) {
    if (g >= params.pixels) {
      return;
    }
    let b = scan(g, lid, 64u);
    let has = b.ch != NO_CH;
    // threads without a channel take no part in the max (-inf never beats a real channel's value)
    let m = subgroupMax(select(-3.4028234663852886e38, b.v, has));
    // NO_CH when no lane of the subgroup has a channel
    let ch = subgroupMin(select(NO_CH, b.ch, has && b.v == m));
    // local_invocation_index = subgroup index * ssize + sid for a 1D workgroup
    if (sid == 0u) {
      part_v[lid / ssize] = m;
      part_ch[lid / ssize] = ch;
    }
    workgroupBarrier();
    if (lid == 0u) {
      var w = Best(part_v[0], part_ch[0]);
      for (var k = 1u; k < (64u + ssize - 1u) / ssize; k++) {
        let o = Best(part_v[k], part_ch[k]);
        if (better(o, w)) {
          w = o;
        }
      }
      store(g, w);
    }
  } else {
    let p = g * 64u + lid;
    if (p < params.pixels) {
      store(p, scan(p, 0u, 1u));
    }
  }
}
