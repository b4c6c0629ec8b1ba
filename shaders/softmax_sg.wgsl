// softmax_sg.wgsl: softmax.wgsl (same bindings, Params, overrides, dispatch and result) with
// subgroup reductions in the WIDE path: the max and the sum over a pixel's channel groups are
// subgroupMax / subgroupAdd in registers, then the subgroups' values (64 / subgroup size of
// them, at most 16) meet in workgroup memory after one barrier each, instead of two 6-step
// trees. Needs the device feature 'subgroups' (the GPU executor only picks this variant then).
// (Layouts, WIDE and dispatch: see softmax.wgsl.)

enable subgroups;

//! include softmax_io.wgsl

// one value per subgroup (subgroup sizes are at least 4)
var<workgroup> partial: array<f32, 16>;

//! include softmax_narrow.wgsl

fn wide(p: u32, lid: u32, sid: u32, ssize: u32) {
  let c4 = params.c4;
  let base = p * c4;
  let groups = (64u + ssize - 1u) / ssize;
  var m = LOWEST;
  for (var q = lid; q < c4; q += 64u) {
    m = max(m, hmax(select(vec4<f32>(LOWEST), input[base + q], valid(q))));
  }
  m = subgroupMax(m);
  // local_invocation_index = subgroup index * ssize + sid for a 1D workgroup
  if (sid == 0u) {
    partial[lid / ssize] = m;
  }
  workgroupBarrier();
  m = LOWEST;
  for (var g = 0u; g < groups; g++) {
    m = max(m, partial[g]);
  }
  workgroupBarrier();
  var s = 0.0;
  for (var q = lid; q < c4; q += 64u) {
    s += hsum(expm(input[base + q], m, valid(q)));
  }
  s = subgroupAdd(s);
  if (sid == 0u) {
    partial[lid / ssize] = s;
  }
  workgroupBarrier();
  s = 0.0;
  for (var g = 0u; g < groups; g++) {
    s += partial[g];
  }
  for (var q = lid; q < c4; q += 64u) {
    output[base + q] = expm(input[base + q], m, valid(q)) / s;
  }
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) sid: u32,
        @builtin(subgroup_size) ssize: u32) {
  let g = wid.y * nwg.x + wid.x;
  if (WIDE == 1u) {
    // g is the same for every thread of the workgroup, so the barriers in wide() are uniform
    if (g < params.pixels) {
      wide(g, lid, sid, ssize);
    }
  } else {
    let p = g * 64u + lid;
    if (p < params.pixels) {
      narrow(p);
    }
  }
}
