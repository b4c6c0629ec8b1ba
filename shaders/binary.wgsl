// binary.wgsl: elementwise a (OP) b with broadcasting of b, then the full epilogue.
//   OP: 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min
//   BCAST: 0 b has a's shape (b[i]), 1 b is 1x1xC per channel (b[i % c4]), 2 b is a 1x1x1
//   scalar (b[0].x)
//   v = clamp(act(a OP b), clamp_lo, clamp_hi); if HAS_RES: v += residual[i]
//   output[i] = clamp(v, post_lo, post_hi) on the c logical channels, 0 on the padding lanes of
//   the last channel group (e.g. a div by a zero-padded b never leaves a NaN there).
// Layouts (array<vec4<f32>>, NHWC, channels padded to 4, so the channel group of element i is
//   i % c4): a, residual, output: count vec4; b: count vec4 (BCAST 0), c4 vec4 (1), 1 vec4 (2);
//   residual unused (a dummy is bound) when HAS_RES is 0.
// One thread: one vec4 element i.
// Dispatch: 64 threads per workgroup, linear i = (wg.y*num_wg.x + wg.x)*64 + local,
//   ceil(count/64) workgroups, folded into 2D when > 65535 (see linearDispatch).

struct Params {
  count: u32,
  c4: u32,
  c: u32,
  clamp_lo: f32,
  clamp_hi: f32,
  post_lo: f32,
  post_hi: f32,
}

override OP: u32 = 0u;
override BCAST: u32 = 0u;
override ACT: u32 = 0u;
override HAS_RES: u32 = 0u;

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> residual: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;

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

fn apply(x: vec4<f32>, y: vec4<f32>) -> vec4<f32> {
  switch OP {
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    case 3u: { return x / y; }
    case 4u: { return max(x, y); }
    case 5u: { return min(x, y); }
    default: { return x + y; }
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
  let q = i % params.c4;
  var y: vec4<f32>;
  if (BCAST == 1u) {
    y = b[q];
  } else if (BCAST == 2u) {
    y = vec4<f32>(b[0].x);
  } else {
    y = b[i];
  }
  var v = clamp(act(apply(a[i], y)), vec4<f32>(params.clamp_lo), vec4<f32>(params.clamp_hi));
  if (HAS_RES == 1u) {
    v += residual[i];
  }
  v = clamp(v, vec4<f32>(params.post_lo), vec4<f32>(params.post_hi));
  let lane = vec4<u32>(q * 4u) + vec4<u32>(0u, 1u, 2u, 3u);
  output[i] = select(vec4<f32>(0.0), v, lane < vec4<u32>(params.c));
}
