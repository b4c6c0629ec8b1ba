// pointwise_finish.wgsl: the pointwise GEMMs' epilogue (act, clamps, residual, store); needs
// act_params.wgsl and the includer's `params` (clamp_lo/hi, post_lo/hi, out_c4, has_res),
// `residual` and `output`.
fn finish(a: Act, acc: vec4<f32>, p: u32, oc4: u32) {
  let o = p * params.out_c4 + oc4;
  var v = clamp(apply_act(a, acc), vec4<f32>(params.clamp_lo), vec4<f32>(params.clamp_hi));
  if (params.has_res == 1u) {
    v += residual[o];
  }
  output[o] = clamp(v, vec4<f32>(params.post_lo), vec4<f32>(params.post_hi));
}
