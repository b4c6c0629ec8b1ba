// pointwise_chain.wgsl: one bottleneck boundary in one dispatch: the squeeze-and-excitation
// gate (optional, computed in the kernel), the 1x1 project (+ residual), and the next block's
// 1x1 expand (optional), over a tile of pixels per workgroup.
//   SCALE = 0: x[p][ic] = input[p][ic]
//   SCALE = 1: x[p][ic] = clamp(input[p][ic] * scale[ic], scale_lo, scale_hi)     (gate from a buffer)
//   SCALE = 2: the gate is computed here first, as shaders/squeeze_excite.wgsl does:
//     pooled[c] = clamp(mean_p input[p][c], pool_lo, pool_hi)
//     hidden[s] = clamp(act(se_act1, b1[s] + sum_c W1[s][c] pooled[c]), fc1_lo, fc1_hi)
//     gate[c]   = clamp(act(se_act2, b2[c] + sum_s W2[c][s] hidden[s]), fc2_lo, fc2_hi)
//     x[p][ic] = clamp(input[p][ic] * gate[ic], scale_lo, scale_hi)
//   mid[p][oc] = clamp(clamp(act(ACT, b[oc] + sum_ic W[oc][ic] x[p][ic]), clamp_lo, clamp_hi)
//                + (HAS_RES ? residual[p][oc] : 0), post_lo, post_hi)              (pointwise.wgsl)
//   HAS_NEXT = 1: output[p][o] = clamp(clamp(act(ACT2, b2[o] + sum_oc W2[o][oc] mid[p][oc]),
//                c2_lo, c2_hi), post2_lo, post2_hi)
//   (with HAS_NEXT = 0 the kernel writes only `mid`; `output` is bound to the same tensor)
// Layouts (array<vec4<f32>>, NHWC, channels padded to 4): input pixels*in_c4, mid pixels*mid_c4,
//   output pixels*out_c4, residual like mid, scale in_c4; weights packed like pointwise.wgsl
//   (W at w_offset, bias at b_offset; the next layer at w2_offset / b2_offset; the SE's fc1 / fc2
//   at se_w1 / se_b1 / se_w2 / se_b2, packed like squeeze_excite.wgsl).
// Every workgroup computes the whole gate itself (SCALE = 2: the mean over all pixels, so no
// workgroup waits for another); the tile's mid values go to the `mid` buffer, and after a
// storage barrier the same workgroup reads them back for the next layer (no workgroup array).
// Limits: SCALE = 2 needs in_c4 <= 256 and sq4 <= 64 (the scheduler checks; else it keeps the
//   squeeze_excite step and SCALE = 1).
// One thread: 4 consecutive pixels x 2 consecutive output channel groups (8 vec4 accumulators,
//   as pointwise.wgsl), looping over the tile's (tile_quads quads) x (channel group pairs) items.
// Dispatch: 64 threads per workgroup, ceil(pixels / (4 * tile_quads)) workgroups, linear
//   workgroup index wg.y*num_wg.x + wg.x (folded into 2D when > 65535, see linearDispatch).

struct Params {
  pixels: u32,
  in_c4: u32,
  mid_c4: u32,
  out_c4: u32,
  tile_quads: u32,
  w_offset: u32,
  b_offset: u32,
  w2_offset: u32,
  b2_offset: u32,
  sq4: u32,
  se_w1: u32,
  se_b1: u32,
  se_w2: u32,
  se_b2: u32,
  se_act1: u32,
  se_act2: u32,
  clamp_lo: f32,
  clamp_hi: f32,
  post_lo: f32,
  post_hi: f32,
  scale_lo: f32,
  scale_hi: f32,
  c2_lo: f32,
  c2_hi: f32,
  post2_lo: f32,
  post2_hi: f32,
  pool_lo: f32,
  pool_hi: f32,
  fc1_lo: f32,
  fc1_hi: f32,
  fc2_lo: f32,
  fc2_hi: f32,
  act: u32,      // the ACT, ACT2 and HAS_RES overrides, read at run time (one pipeline for all
  act2: u32,     // their values; they only steer the stores)
  has_res: u32,
}

override SCALE: u32 = 0u;
override HAS_NEXT: u32 = 0u;

const WG: u32 = 64u;
const MAX_C4: u32 = 256u;

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> scale: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> residual: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> mid: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(6) var<uniform> params: Params;

// SCALE = 2: the pooled means, then the gate
var<workgroup> gate: array<vec4<f32>, MAX_C4>;
// SCALE = 2: pool partial sums, then fc1's hidden vector (sq4 <= WG)
var<workgroup> scratch: array<vec4<f32>, WG>;

//! include act_switch.wgsl

fn se_gate(t: u32) {
  let pixels = params.pixels;
  let c4 = params.in_c4;
  let sq4 = params.sq4;
  // global average pool; uniform loop bounds, so the barriers are uniform too
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
    workgroupBarrier();
    if (t < n) {
      var total = vec4<f32>(0.0);
      for (var l = 0u; l < lanes; l++) {
        total += scratch[l * n + t];
      }
      gate[base + t] = clamp(total / f32(pixels), vec4<f32>(params.pool_lo), vec4<f32>(params.pool_hi));
    }
    workgroupBarrier();
  }
  // fc1 (pooled means in gate -> hidden in scratch)
  for (var o = t; o < sq4; o += WG) {
    var acc = weights[params.se_b1 + o];
    for (var k = 0u; k < c4; k++) {
      let wb = params.se_w1 + (k * sq4 + o) * 4u;
      acc += mat4x4<f32>(weights[wb], weights[wb + 1u], weights[wb + 2u], weights[wb + 3u]) * gate[k];
    }
    scratch[o] = clamp(act(params.se_act1, acc), vec4<f32>(params.fc1_lo), vec4<f32>(params.fc1_hi));
  }
  workgroupBarrier();
  // fc2 (hidden -> the gate, overwriting the means nobody reads any more)
  for (var o = t; o < c4; o += WG) {
    var acc = weights[params.se_b2 + o];
    for (var k = 0u; k < sq4; k++) {
      let wb = params.se_w2 + (k * c4 + o) * 4u;
      acc += mat4x4<f32>(weights[wb], weights[wb + 1u], weights[wb + 2u], weights[wb + 3u]) * scratch[k];
    }
    gate[o] = clamp(act(params.se_act2, acc), vec4<f32>(params.fc2_lo), vec4<f32>(params.fc2_hi));
  }
  workgroupBarrier();
}

fn scaled(v: vec4<f32>, k: u32) -> vec4<f32> {
  if (SCALE == 0u) {
    return v;
  }
  var s: vec4<f32>;
  if (SCALE == 2u) {
    s = gate[k];
  } else {
    s = scale[k];
  }
  return clamp(v * s, vec4<f32>(params.scale_lo), vec4<f32>(params.scale_hi));
}

fn store_mid(acc: vec4<f32>, p: u32, oc: u32) {
  let o = p * params.mid_c4 + oc;
  var v = clamp(act(params.act, acc), vec4<f32>(params.clamp_lo), vec4<f32>(params.clamp_hi));
  if (params.has_res == 1u) {
    v += residual[o];
  }
  mid[o] = clamp(v, vec4<f32>(params.post_lo), vec4<f32>(params.post_hi));
}

fn store_out(acc: vec4<f32>, p: u32, oc: u32) {
  let v = clamp(act(params.act2, acc), vec4<f32>(params.c2_lo), vec4<f32>(params.c2_hi));
  output[p * params.out_c4 + oc] = clamp(v, vec4<f32>(params.post2_lo), vec4<f32>(params.post2_hi));
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  if (SCALE == 2u) {
    se_gate(t);
  }
  let tile0 = (wid.y * nwg.x + wid.x) * params.tile_quads * 4u;
  let last = params.pixels - 1u;
  let in_c4 = params.in_c4;
  let mid_c4 = params.mid_c4;
  // 1. project (+ residual) for the tile -> mid
  let pairs1 = (mid_c4 + 1u) / 2u;
  for (var i = t; i < params.tile_quads * pairs1; i += WG) {
    let oc0 = (i % pairs1) * 2u;
    let oc1 = min(oc0 + 1u, mid_c4 - 1u); // duplicate of oc0 when mid_c4 is odd; not stored
    let p0 = tile0 + (i / pairs1) * 4u;
    if (p0 <= last) {
      // pixels past the end re-read the last one and are not stored
      let r0 = p0 * in_c4;
      let r1 = min(p0 + 1u, last) * in_c4;
      let r2 = min(p0 + 2u, last) * in_c4;
      let r3 = min(p0 + 3u, last) * in_c4;
      let bias0 = weights[params.b_offset + oc0];
      let bias1 = weights[params.b_offset + oc1];
      var a00 = bias0; var a01 = bias0; var a02 = bias0; var a03 = bias0;
      var a10 = bias1; var a11 = bias1; var a12 = bias1; var a13 = bias1;
      for (var k = 0u; k < in_c4; k++) {
        let x0 = scaled(input[r0 + k], k);
        let x1 = scaled(input[r1 + k], k);
        let x2 = scaled(input[r2 + k], k);
        let x3 = scaled(input[r3 + k], k);
        let wb0 = params.w_offset + (k * mid_c4 + oc0) * 4u;
        let wb1 = params.w_offset + (k * mid_c4 + oc1) * 4u;
        let m0 = mat4x4<f32>(weights[wb0], weights[wb0 + 1u], weights[wb0 + 2u], weights[wb0 + 3u]);
        let m1 = mat4x4<f32>(weights[wb1], weights[wb1 + 1u], weights[wb1 + 2u], weights[wb1 + 3u]);
        a00 += m0 * x0; a01 += m0 * x1; a02 += m0 * x2; a03 += m0 * x3;
        a10 += m1 * x0; a11 += m1 * x1; a12 += m1 * x2; a13 += m1 * x3;
      }
      let has1 = oc0 + 1u < mid_c4;
      store_mid(a00, p0, oc0);
      if (has1) { store_mid(a10, p0, oc1); }
      if (p0 + 1u <= last) { store_mid(a01, p0 + 1u, oc0); if (has1) { store_mid(a11, p0 + 1u, oc1); } }
      if (p0 + 2u <= last) { store_mid(a02, p0 + 2u, oc0); if (has1) { store_mid(a12, p0 + 2u, oc1); } }
      if (p0 + 3u <= last) { store_mid(a03, p0 + 3u, oc0); if (has1) { store_mid(a13, p0 + 3u, oc1); } }
    }
  }
  if (HAS_NEXT == 0u) {
    return;
  }
  // the tile's mid values, written above by this workgroup, are visible to all its threads
  storageBarrier();
  // 2. the next 1x1 layer on the tile: mid -> output
  let out_c4 = params.out_c4;
  let pairs2 = (out_c4 + 1u) / 2u;
  for (var i = t; i < params.tile_quads * pairs2; i += WG) {
    let oc0 = (i % pairs2) * 2u;
    let oc1 = min(oc0 + 1u, out_c4 - 1u);
    let p0 = tile0 + (i / pairs2) * 4u;
    if (p0 <= last) {
      let r0 = p0 * mid_c4;
      let r1 = min(p0 + 1u, last) * mid_c4;
      let r2 = min(p0 + 2u, last) * mid_c4;
      let r3 = min(p0 + 3u, last) * mid_c4;
      let bias0 = weights[params.b2_offset + oc0];
      let bias1 = weights[params.b2_offset + oc1];
      var a00 = bias0; var a01 = bias0; var a02 = bias0; var a03 = bias0;
      var a10 = bias1; var a11 = bias1; var a12 = bias1; var a13 = bias1;
      for (var k = 0u; k < mid_c4; k++) {
        let x0 = mid[r0 + k];
        let x1 = mid[r1 + k];
        let x2 = mid[r2 + k];
        let x3 = mid[r3 + k];
        let wb0 = params.w2_offset + (k * out_c4 + oc0) * 4u;
        let wb1 = params.w2_offset + (k * out_c4 + oc1) * 4u;
        let m0 = mat4x4<f32>(weights[wb0], weights[wb0 + 1u], weights[wb0 + 2u], weights[wb0 + 3u]);
        let m1 = mat4x4<f32>(weights[wb1], weights[wb1 + 1u], weights[wb1 + 2u], weights[wb1 + 3u]);
        a00 += m0 * x0; a01 += m0 * x1; a02 += m0 * x2; a03 += m0 * x3;
        a10 += m1 * x0; a11 += m1 * x1; a12 += m1 * x2; a13 += m1 * x3;
      }
      let has1 = oc0 + 1u < out_c4;
      store_out(a00, p0, oc0);
      if (has1) { store_out(a10, p0, oc1); }
      if (p0 + 1u <= last) { store_out(a01, p0 + 1u, oc0); if (has1) { store_out(a11, p0 + 1u, oc1); } }
      if (p0 + 2u <= last) { store_out(a02, p0 + 2u, oc0); if (has1) { store_out(a12, p0 + 2u, oc1); } }
      if (p0 + 3u <= last) { store_out(a03, p0 + 3u, oc0); if (has1) { store_out(a13, p0 + 3u, oc1); } }
    }
  }
}
