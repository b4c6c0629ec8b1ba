// global_pool_sg.wgsl: global_pool.wgsl (same bindings, Params, dispatch and result) with a
// subgroup reduction in place of the workgroup-memory tree: each thread sums pixels lid,
// lid + 64, ...; subgroupAdd adds a subgroup's partial sums in registers; the subgroups' sums
// (64 / subgroup size of them) meet in workgroup memory after ONE barrier and thread 0 adds
// them. Needs the device feature 'subgroups' (the GPU executor only picks this variant then).

enable subgroups;

struct Params {
  pixels: u32,
  c4: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

// one sum per subgroup: WebGPU subgroup sizes are at least 4, so at most 16 (a small array:
// workgroup memory is zero-initialized at every dispatch and costs compile time on SwiftShader)
//! include global_pool_narrow.wgsl

var<workgroup> partial: array<vec4<f32>, 16>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) sid: u32,
        @builtin(subgroup_size) ssize: u32) {
  if (params.pixels <= NARROW_MAX_PIXELS) {
    // uniform: the same for every thread of the dispatch
    pool_narrow((wid.y * nwg.x + wid.x) * 64u + lid);
    return;
  }
  let q = wid.y * nwg.x + wid.x;
  let c4 = params.c4;
  if (q >= c4) {
    return; // uniform per workgroup
  }
  var s = vec4<f32>(0.0);
  for (var p = lid; p < params.pixels; p += 64u) {
    s += input[p * c4 + q];
  }
  let t = subgroupAdd(s);
  // local_invocation_index lid = subgroup index * ssize + sid for a 1D workgroup
  if (sid == 0u) {
    partial[lid / ssize] = t;
  }
  workgroupBarrier();
  if (lid == 0u) {
    var total = vec4<f32>(0.0);
    let groups = (64u + ssize - 1u) / ssize;
    for (var g = 0u; g < groups; g++) {
      total += partial[g];
    }
    output[q] = total / f32(params.pixels);
  }
}
