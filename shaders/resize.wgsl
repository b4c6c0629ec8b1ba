// resize.wgsl: spatial resize of an NHWC map, bilinear (MODE 0) or nearest (MODE 1); channels unchanged.
//   Per output row oy a table holds (y0, y1, fy, 0) and per output column ox (x0, x1, fx, 0):
//   source indices as exact f32 integers and the bilinear fraction, precomputed by the scheduler
//   from the coordinate mode exactly as src/graph/reference.ts does (float64 source coordinate,
//   clamped to the input; nearest: the node's rounding (floor by default) of the source
//   coordinate, clamped). A table and not `src = dst*scale + offset` in f32, because f32
//   arithmetic picks a different nearest source pixel than the float64 reference for a
//   fraction of the sizes (exact integer coordinates).
//   MODE 0: out = (in[y0][x0]*(1-fx) + in[y0][x1]*fx)*(1-fy) + (in[y1][x0]*(1-fx) + in[y1][x1]*fx)*fy
//   MODE 1: out = in[y0][x0]
// Layouts (array<vec4<f32>>, NHWC, channels padded to 4): input (y*in_w + x)*c4 + q;
//   output (oy*out_w + ox)*c4 + q; table in the weights buffer: out_h row vec4 at w_offset,
//   then out_w column vec4 at w_offset + out_h.
// One thread: one output vec4 (4 channels of one pixel), t = (oy*out_w + ox)*c4 + q.
// Dispatch: 64 threads per workgroup, linear t = (wg.y*num_wg.x + wg.x)*64 + local,
//   ceil(out_h*out_w*c4/64) workgroups, folded into 2D when > 65535 (see linearDispatch).

struct Params {
  in_h: u32,
  in_w: u32,
  out_h: u32,
  out_w: u32,
  c4: u32,
  w_offset: u32,
}

override MODE: u32 = 0u;

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * 64u + lid;
  let c4 = params.c4;
  if (t >= params.out_h * params.out_w * c4) {
    return;
  }
  let q = t % c4;
  let pix = t / c4;
  let ox = pix % params.out_w;
  let oy = pix / params.out_w;
  let ry = weights[params.w_offset + oy];
  let rx = weights[params.w_offset + params.out_h + ox];
  let y0 = u32(ry.x) * params.in_w;
  let x0 = u32(rx.x);
  if (MODE == 1u) {
    output[t] = input[(y0 + x0) * c4 + q];
    return;
  }
  let y1 = u32(ry.y) * params.in_w;
  let x1 = u32(rx.y);
  let fy = ry.z;
  let fx = rx.z;
  let v00 = input[(y0 + x0) * c4 + q];
  let v01 = input[(y0 + x1) * c4 + q];
  let v10 = input[(y1 + x0) * c4 + q];
  let v11 = input[(y1 + x1) * c4 + q];
  output[t] = (v00 * (1.0 - fx) + v01 * fx) * (1.0 - fy) + (v10 * (1.0 - fx) + v11 * fx) * fy;
}
