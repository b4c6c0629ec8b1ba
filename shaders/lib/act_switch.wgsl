// act_switch.wgsl: act(code, x), an activation chosen by a run-time code (0 none, 1 relu, 2 relu6,
// 3 hswish, 4 hsigmoid, 5 sigmoid) as a switch; the squeeze-excite FCs (se_io.wgsl) and
// pointwise_chain.wgsl use it.
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
