// elementwise.wgsl: unfused activation (OP 0), residual add (OP 1), per-channel scale (OP 2).
//   v = OP 0: a[i] | OP 1: a[i] + b[i] | OP 2: a[i] * b[i % c4]
//   output[i] = clamp(act(v), clamp_lo, clamp_hi)
// Layouts (array<vec4<f32>>): a, output: count vec4 (NHWC, channels padded to 4, so the
//   channel group of element i is i % c4); b: count vec4 for OP 1, c4 vec4 for OP 2,
//   unused (a dummy is bound) for OP 0.
// One thread: one vec4 element i.
// Dispatch: 64 threads per workgroup, linear i = (wg.y*num_wg.x + wg.x)*64 + local,
//   ceil(count/64) workgroups, folded into 2D when > 65535 (see linearDispatch).

struct Params {
  count: u32,
  c4: u32,
  clamp_lo: f32,
  clamp_hi: f32,
}

override OP: u32 = 0u;
override ACT: u32 = 0u;

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

fn act(x: vec4<f32>) -> vec4<f32> {
  switch ACT {
    case 1u: { return max(x, vec4<f32>(0.0)); }
    case 2u: { return clamp(x, vec4<f32>(0.0), vec4<f32>(6.0)); }
    case 3u: { return x * clamp(x + 3.0, vec4<f32>(0.0), vec4<f32>(6.0)) / 6.0; }
    case 4u: { return clamp(x + 3.0, vec4<f32>(0.0), vec4<f32>(6.0)) / 6.0; }
    case 5u: { return 1.0 / (1.0 + exp(-x)); }
    default: { return x; }
  }
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 64u + lid;
  if (i >= params.count) {
    return;
  }
  var v = a[i];
  if (OP == 1u) {
    v += b[i];
  } else if (OP == 2u) {
    v *= b[i % params.c4];
  }
  output[i] = clamp(act(v), vec4<f32>(params.clamp_lo), vec4<f32>(params.clamp_hi));
}
