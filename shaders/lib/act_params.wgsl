// act_params.wgsl: an activation chosen at run time (a Params code, not an override).
// The activations but sigmoid as one formula, g = clamp(x + shift, lo, hi) * gain, y = g or x * g:
//   none (-inf, inf, 0, 1, g), relu (0, inf, 0, 1, g), relu6 (0, 6, 0, 1, g),
//   hswish (0, 6, 3, 1/6, x*g), hsigmoid (0, 6, 3, 1/6, g); sigmoid: 1 / (1 + exp(-x)).
// Its constants are worked out once per thread (branch-free epilogue, smaller code than a switch
// inlined at each of the 8 stores).
struct Act {
  lo: f32,
  hi: f32,
  shift: f32,
  gain: f32,
  mul_x: bool,
  sigmoid: bool,
}

fn act_of(code: u32) -> Act {
  let bounded = code == 2u || code == 3u || code == 4u;
  let hard = code == 3u || code == 4u;
  return Act(
    select(-3.4028234663852886e38, 0.0, code >= 1u && code <= 4u),
    select(3.4028234663852886e38, 6.0, bounded),
    select(0.0, 3.0, hard),
    select(1.0, 1.0 / 6.0, hard),
    code == 3u,
    code == 5u,
  );
}

fn apply_act(a: Act, x: vec4<f32>) -> vec4<f32> {
  if (a.sigmoid) {
    return 1.0 / (1.0 + exp(-x));
  }
  let g = clamp(x + a.shift, vec4<f32>(a.lo), vec4<f32>(a.hi)) * a.gain;
  return select(g, x * g, a.mul_x);
}
