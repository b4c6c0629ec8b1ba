// se_io.wgsl: squeeze_excite's Params, bindings and excitation (fc1 + act1, fc2 + act2), shared
// by squeeze_excite.wgsl and squeeze_excite_sg.wgsl, which differ only in the pool. excite(t)
// runs after the pool has written the pooled means to `output` and made them visible. Needs
// act_switch.wgsl (included next to this file by the includer).
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


fn excite(t: u32) {
  let c4 = params.c4;
  let sq4 = params.sq4;
  // 2. fc1 + act1 (reads the pooled means from output, writes hidden into scratch)
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
