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

// A thread's 4 pixels (p0 .. p0 + 3, those <= last) x 2 channel groups (oc0, oc1; stored
// where st0 / st1), in a loop over shifting accumulators, so the epilogue is emitted twice
// instead of 8 times: half the compile time, the same run time.
fn finish_tile(a00: vec4<f32>, a01: vec4<f32>, a02: vec4<f32>, a03: vec4<f32>,
               a10: vec4<f32>, a11: vec4<f32>, a12: vec4<f32>, a13: vec4<f32>,
               p0: u32, last: u32, oc0: u32, oc1: u32, st0: bool, st1: bool) {
  let a = act_of(params.act);
  var x0 = a00; var x1 = a01; var x2 = a02; var x3 = a03;
  var y0 = a10; var y1 = a11; var y2 = a12; var y3 = a13;
  for (var i = 0u; i < 4u; i++) {
    let p = p0 + i;
    if (p > last) {
      break;
    }
    if (st0) {
      finish(a, x0, p, oc0);
    }
    if (st1) {
      finish(a, y0, p, oc1);
    }
    x0 = x1; x1 = x2; x2 = x3;
    y0 = y1; y1 = y2; y2 = y3;
  }
}
