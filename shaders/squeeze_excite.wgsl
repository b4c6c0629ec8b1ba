// squeeze_excite.wgsl: the whole squeeze-and-excitation branch in one workgroup.
//   pooled[c] = clamp((sum_p x[p][c]) / pixels, pool_lo, pool_hi)                  (global average pool)
//   hidden[s] = clamp(act(act1, b1[s] + sum_c W1[s][c] * pooled[c]), fc1_lo, fc1_hi)  (fc1: c -> sq)
//   output[c] = clamp(act(act2, b2[c] + sum_s W2[c][s] * hidden[s]), fc2_lo, fc2_hi)  (fc2: sq -> c)
//   (the clamps are quantized output ranges, e.g. TFLite uint8; +-NO_CLAMP when there are none)
// Layouts (array<vec4<f32>>): input x: pixels*c4 at p*c4 + q; output: c4 vec4 (the per-channel
//   scale); W1 packed like pointwise (in_c4 = c4, out_c4 = sq4) at w1_offset, bias sq4 at
//   b1_offset; W2 like pointwise (in_c4 = sq4, out_c4 = c4) at w2_offset, bias c4 at b2_offset.
//   act1/act2 are runtime activation codes (0 none .. 5 sigmoid). c4 <= MAX_C4, sq4 <= MAX_SQ4.
// Memory: no workgroup arrays. The pooled means are kept in `output` itself (c4 vec4,
//   overwritten by fc2 after a barrier); the pool's partial sums, then fc1's hidden vector, go
//   to `scratch` (WG vec4 of storage, the GPU executor's shared writable scratch buffer; the
//   steps run one after another). Workgroup memory is zero-initialized by WebGPU
//   implementations at every dispatch, and on SwiftShader its size dominated this pipeline's
//   compile time: 14 KiB of workgroup arrays took 2.3 s to compile, 4 KiB 0.7 s (chromium),
//   none ~0.1 s. Storage barriers order the phases (one workgroup, so that is enough).
// Threads: pool over chunks of up to 256 channel groups; in a chunk of n groups,
//   thread t sums channel group t % n over pixels t/n, t/n + lanes, ... (lanes = 256 / n), then
//   threads t < n add up their group's lanes. fc1 / fc2: one thread per output vec4.
// Dispatch: exactly one workgroup of 256 threads, (1, 1, 1).

struct Params {
  pixels: u32,
  c4: u32,
  sq4: u32,
  w1_offset: u32,
  b1_offset: u32,
  w2_offset: u32,
  b2_offset: u32,
  act1: u32,
  act2: u32,
  pool_lo: f32,
  pool_hi: f32,
  fc1_lo: f32,
  fc1_hi: f32,
  fc2_lo: f32,
  fc2_hi: f32,
}

const WG: u32 = 256u;
const MAX_C4: u32 = 512u;
const MAX_SQ4: u32 = 128u;

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> output: array<vec4<f32>>;
// pool partial sums, then fc1's hidden vector (sq4 <= MAX_SQ4 <= WG); at least WG vec4
@group(0) @binding(3) var<storage, read_write> scratch: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;

fn act(code: u32, x: vec4<f32>) -> vec4<f32> {
  switch code {
    case 1u: { return max(x, vec4<f32>(0.0)); }
    case 2u: { return clamp(x, vec4<f32>(0.0), vec4<f32>(6.0)); }
    case 3u: { return x * clamp(x + 3.0, vec4<f32>(0.0), vec4<f32>(6.0)) / 6.0; }
    case 4u: { return clamp(x + 3.0, vec4<f32>(0.0), vec4<f32>(6.0)) / 6.0; }
    case 5u: { return 1.0 / (1.0 + exp(-x)); }
    default: { return x; }
  }
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(local_invocation_index) t: u32) {
  let pixels = params.pixels;
  let c4 = params.c4;
  let sq4 = params.sq4;
  // 1. global average pool; the loop bounds are uniform so the barriers are too
  for (var base = 0u; base < c4; base += WG) {
    let n = min(WG, c4 - base);
    let lanes = WG / n;
    let ch = base + t % n;
    let lane = t / n;
    var s = vec4<f32>(0.0);
    if (lane < lanes) {
      for (var p = lane; p < pixels; p += lanes) {
        s += input[p * c4 + ch];
      }
    }
    scratch[t] = s;
    storageBarrier();
    if (t < n) {
      var total = vec4<f32>(0.0);
      for (var l = 0u; l < lanes; l++) {
        total += scratch[l * n + t];
      }
      output[base + t] = clamp(total / f32(pixels), vec4<f32>(params.pool_lo), vec4<f32>(params.pool_hi));
    }
    // the partial sums are read before the next chunk overwrites them, and (after the last
    // chunk) the pooled means in `output` are visible to every thread
    storageBarrier();
  }
  // 2. fc1 + act1 (reads the pooled means from output, writes hidden into partial)
  for (var o = t; o < sq4; o += WG) {
    var acc = weights[params.b1_offset + o];
    for (var k = 0u; k < c4; k++) {
      let wb = params.w1_offset + (k * sq4 + o) * 4u;
      acc += mat4x4<f32>(weights[wb], weights[wb + 1u], weights[wb + 2u], weights[wb + 3u]) * output[k];
    }
    scratch[o] = clamp(act(params.act1, acc), vec4<f32>(params.fc1_lo), vec4<f32>(params.fc1_hi));
  }
  // hidden is visible, and every read of the pooled means is done before fc2 overwrites them
  storageBarrier();
  // 3. fc2 + act2
  for (var o = t; o < c4; o += WG) {
    var acc = weights[params.b2_offset + o];
    for (var k = 0u; k < sq4; k++) {
      let wb = params.w2_offset + (k * c4 + o) * 4u;
      acc += mat4x4<f32>(weights[wb], weights[wb + 1u], weights[wb + 2u], weights[wb + 3u]) * scratch[k];
    }
    output[o] = clamp(act(params.act2, acc), vec4<f32>(params.fc2_lo), vec4<f32>(params.fc2_hi));
  }
}
