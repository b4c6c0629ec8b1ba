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

//! include se_io.wgsl

//! include act_switch.wgsl

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(local_invocation_index) t: u32) {
  let pixels = params.pixels;
  let c4 = params.c4;
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
  excite(t);
}
