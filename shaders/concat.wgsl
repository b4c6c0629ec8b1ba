// concat.wgsl: concatenation along channels, gathered per OUTPUT vec4 (no write races).
//   out[p][ch] = in_k[p][ch - in_k_off] for the input k with in_k_off <= ch < in_k_off + in_k_c,
//   0 when no bound input holds channel ch (the padding lanes of the last channel group).
//   Channels are padded to 4 per tensor, so concat(c=3, c=5) must repack lanes: output group q
//   may take lanes from up to 4 inputs, at any lane offset. Each thread therefore owns one
//   output vec4 and gathers its 4 lanes (a whole aligned vec4 is copied at once).
//   One dispatch binds up to 4 inputs and writes the output channel groups
//   [q_lo, q_lo + q_count); a concat of more inputs is several dispatches into the same output
//   tensor, each owning a disjoint range of groups whose channels all come from its <= 4 inputs
//   (the scheduler splits at group boundaries; no group needs more than 4 inputs).
//   Unused input bindings get in_k_c = 0 (and a dummy buffer); they are never read.
// Layouts (array<vec4<f32>>, NHWC, channels padded to 4): input k: pixels*in_k_c4 at
//   p*in_k_c4 + g; output: pixels*out_c4 at p*out_c4 + q.
// One thread: one output vec4, t = p*q_count + (q - q_lo).
// Dispatch: 64 threads per workgroup, linear t = (wg.y*num_wg.x + wg.x)*64 + local,
//   ceil(pixels*q_count/64) workgroups, folded into 2D when > 65535 (see linearDispatch).

struct Params {
  pixels: u32,
  out_c4: u32,
  q_lo: u32,
  q_count: u32,
  in0_off: u32,
  in0_c: u32,
  in0_c4: u32,
  in1_off: u32,
  in1_c: u32,
  in1_c4: u32,
  in2_off: u32,
  in2_c: u32,
  in2_c4: u32,
  in3_off: u32,
  in3_c: u32,
  in3_c4: u32,
}

@group(0) @binding(0) var<storage, read> in0: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> in1: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> in2: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> in3: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> params: Params;

/** vec4 g of pixel p of input k */
fn fetch(k: u32, p: u32, g: u32) -> vec4<f32> {
  switch k {
    case 0u: { return in0[p * params.in0_c4 + g]; }
    case 1u: { return in1[p * params.in1_c4 + g]; }
    case 2u: { return in2[p * params.in2_c4 + g]; }
    default: { return in3[p * params.in3_c4 + g]; }
  }
}

/** (input index or 4 for none, its first output channel) of output channel ch */
fn owner(ch: u32) -> vec2<u32> {
  let offs = vec4<u32>(params.in0_off, params.in1_off, params.in2_off, params.in3_off);
  let cs = vec4<u32>(params.in0_c, params.in1_c, params.in2_c, params.in3_c);
  for (var k = 0u; k < 4u; k++) {
    if (ch >= offs[k] && ch < offs[k] + cs[k]) {
      return vec2<u32>(k, offs[k]);
    }
  }
  return vec2<u32>(4u, 0u);
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * 64u + lid;
  let qc = params.q_count;
  if (t >= params.pixels * qc) {
    return;
  }
  let p = t / qc;
  let q = params.q_lo + t % qc;
  let ch0 = q * 4u;
  let first = owner(ch0);
  let cs = vec4<u32>(params.in0_c, params.in1_c, params.in2_c, params.in3_c);
  // fast path: the 4 lanes are one aligned vec4 of one input
  if (first.x < 4u && (ch0 - first.y) % 4u == 0u && ch0 + 4u <= first.y + cs[first.x]) {
    output[p * params.out_c4 + q] = fetch(first.x, p, (ch0 - first.y) / 4u);
    return;
  }
  var v = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) {
    let o = owner(ch0 + j);
    if (o.x < 4u) {
      let local = ch0 + j - o.y;
      v[j] = fetch(o.x, p, local / 4u)[local % 4u];
    }
  }
  output[p * params.out_c4 + q] = v;
}
