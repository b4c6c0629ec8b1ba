// softmax_io.wgsl: softmax.wgsl's and softmax_sg.wgsl's Params, WIDE override, bindings and
// LOWEST (the same for both; each file keeps only its own workgroup array).
struct Params {
  pixels: u32,
  c4: u32,
  c: u32,
}

override WIDE: u32 = 0u;

const LOWEST: f32 = -0x1.fffffep+127f; // the lowest finite f32

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;
