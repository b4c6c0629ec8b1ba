// softmax.wgsl: softmax over the channels of every pixel.
//   m = max_ch x[p][ch]; out[p][ch] = exp(x[p][ch] - m) / sum_ch' exp(x[p][ch'] - m)
//   over the c logical channels; the padding lanes of the last channel group are ignored and
//   written as 0.
// Layouts (array<vec4<f32>>, NHWC, channels padded to 4): input, output pixels*c4 at p*c4 + q.
// WIDE 0 (small channel counts): one thread per pixel, t = (wg.y*num_wg.x + wg.x)*64 + local
//   loops over the pixel's c4 groups; ceil(pixels/64) workgroups (2D fold when > 65535).
// WIDE 1 (e.g. a 1x1x1001 classifier output): one workgroup of 64 threads per pixel
//   p = wg.y*num_wg.x + wg.x; thread lid handles groups lid, lid + 64, ...; the max and the sum
//   are tree reductions in workgroup memory. pixels workgroups (2D fold when > 65535).

//! include softmax_io.wgsl

var<workgroup> partial: array<f32, 64>;

//! include softmax_narrow.wgsl

fn wide(p: u32, lid: u32) {
  let c4 = params.c4;
  let base = p * c4;
  var m = LOWEST;
  for (var q = lid; q < c4; q += 64u) {
    m = max(m, hmax(select(vec4<f32>(LOWEST), input[base + q], valid(q))));
  }
  partial[lid] = m;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (lid < w) {
      partial[lid] = max(partial[lid], partial[lid + w]);
    }
    workgroupBarrier();
  }
  m = partial[0];
  workgroupBarrier();
  var s = 0.0;
  for (var q = lid; q < c4; q += 64u) {
    s += hsum(expm(input[base + q], m, valid(q)));
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (lid < w) {
      partial[lid] += partial[lid + w];
    }
    workgroupBarrier();
  }
  s = partial[0];
  for (var q = lid; q < c4; q += 64u) {
    output[base + q] = expm(input[base + q], m, valid(q)) / s;
  }
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.y * nwg.x + wid.x;
  if (WIDE == 1u) {
    // g is the same for every thread of the workgroup, so the barriers in wide() are uniform
    if (g < params.pixels) {
      wide(g, lid);
    }
  } else {
    let p = g * 64u + lid;
    if (p < params.pixels) {
      narrow(p);
    }
  }
}
