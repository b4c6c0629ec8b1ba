// squeeze_excite_sg.wgsl: squeeze_excite.wgsl (same bindings, Params, dispatch and result)
// with the pool as subgroup reductions: subgroup g of the workgroup (lid = g * ssize + sid,
// 1D workgroup) pools channel groups g, g + 256 / ssize, ...; its lanes sum pixels sid,
// sid + ssize, ... and subgroupAdd adds them in registers, so the pool needs no scratch round
// trip per chunk. With fewer channel groups than subgroups, several subgroups split a group's
// pixels and their sums meet in scratch after one barrier. fc1 / fc2 as in
// squeeze_excite.wgsl. Needs the device feature 'subgroups' (the GPU executor only picks this
// variant then).

enable subgroups;

//! include se_io.wgsl

//! include act_switch.wgsl

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(local_invocation_index) t: u32,
        @builtin(subgroup_invocation_id) sid: u32,
        @builtin(subgroup_size) ssize: u32) {
  let pixels = params.pixels;
  let c4 = params.c4;
  // 1. global average pool: `split` subgroups per channel group (more than one when there
  //    are fewer groups than subgroups), so that every subgroup has work and none repeats
  //    another's. Subgroup task v = r * groups + g pools channel group v / split over pixels
  //    (v % split) * ssize + sid, stepping split * ssize. Round count and split are uniform, so
  //    every thread reaches each subgroupAdd and barrier.
  let groups = WG / ssize;
  let g = t / ssize;
  let split = max(1u, groups / c4);
  let tasks = c4 * split;
  let rounds = (tasks + groups - 1u) / groups;
  let step = split * ssize;
  for (var r = 0u; r < rounds; r++) {
    let v = r * groups + g;
    let q = v / split;
    var s = vec4<f32>(0.0);
    if (v < tasks) {
      for (var p = (v % split) * ssize + sid; p < pixels; p += step) {
        s += input[p * c4 + q];
      }
    }
    let total = subgroupAdd(s);
    if (sid == 0u && v < tasks) {
      if (split == 1u) {
        output[q] = clamp(total / f32(pixels), vec4<f32>(params.pool_lo), vec4<f32>(params.pool_hi));
      } else {
        scratch[v] = total; // tasks <= groups <= 64 here
      }
    }
  }
  if (split > 1u) {
    storageBarrier();
    if (t < c4) {
      var total = vec4<f32>(0.0);
      for (var i = 0u; i < split; i++) {
        total += scratch[t * split + i];
      }
      output[t] = clamp(total / f32(pixels), vec4<f32>(params.pool_lo), vec4<f32>(params.pool_hi));
    }
  }
  // the pooled means in `output` are visible to every thread (and the scratch sums are read
  // before fc1 overwrites them)
  storageBarrier();
  excite(t);
}
