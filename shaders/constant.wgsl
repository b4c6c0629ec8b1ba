// constant.wgsl: materializes a constant tensor: copies its packed data (NHWC, channels padded
//   to 4 with zeros) from the weights buffer into its activation slot, output[i] = weights[w_offset + i].
//   The scheduler emits one such step right before the first step that reads the constant
//   (constants that a pass could fold into a conv never get here).
// Layouts (array<vec4<f32>>): output count vec4; weights: the whole weights buffer, the data at w_offset.
// One thread: one vec4 element i.
// Dispatch: 64 threads per workgroup, linear i = (wg.y*num_wg.x + wg.x)*64 + local,
//   ceil(count/64) workgroups, folded into 2D when > 65535 (see linearDispatch).

struct Params {
  count: u32,
  w_offset: u32,
}

@group(0) @binding(0) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 64u + lid;
  if (i >= params.count) {
    return;
  }
  output[i] = weights[params.w_offset + i];
}
