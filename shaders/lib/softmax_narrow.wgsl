// softmax_narrow.wgsl: softmax.wgsl's lane helpers and its one-thread-per-pixel path (shared
// with softmax_sg.wgsl); needs the includer's `params` (c4, c), `input`, `output` and LOWEST.
fn valid(q: u32) -> vec4<bool> {
  return vec4<u32>(q * 4u) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(params.c);
}

fn hmax(v: vec4<f32>) -> f32 {
  return max(max(v.x, v.y), max(v.z, v.w));
}

fn hsum(v: vec4<f32>) -> f32 {
  return (v.x + v.y) + (v.z + v.w);
}

/** exp(x - m) on the valid lanes, 0 on the padding lanes */
fn expm(x: vec4<f32>, m: f32, ok: vec4<bool>) -> vec4<f32> {
  return select(vec4<f32>(0.0), exp(select(vec4<f32>(m), x, ok) - m), ok);
}

fn narrow(p: u32) {
  let c4 = params.c4;
  let base = p * c4;
  var m = LOWEST;
  for (var q = 0u; q < c4; q++) {
    m = max(m, hmax(select(vec4<f32>(LOWEST), input[base + q], valid(q))));
  }
  var s = 0.0;
  for (var q = 0u; q < c4; q++) {
    s += hsum(expm(input[base + q], m, valid(q)));
  }
  for (var q = 0u; q < c4; q++) {
    output[base + q] = expm(input[base + q], m, valid(q)) / s;
  }
}
