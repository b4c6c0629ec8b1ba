// argmax_io.wgsl: argmax.wgsl / argmax_sg.wgsl's Params, bindings, the WIDE override and the
// per-pixel scans (narrow: one thread per pixel; `scan`: one thread's strided share of a pixel's
// channel groups in the WIDE path).

struct Params {
  pixels: u32,
  c4: u32,
  c: u32,
}

override WIDE: u32 = 0u;

@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

// no channel: a thread of the WIDE path with no channel group of its own
const NO_CH: u32 = 0xffffffffu;

struct Best {
  v: f32,
  ch: u32,
}

// the first largest of the logical channels in channel groups q0, q0 + step, ... of pixel p
// (ch = NO_CH when there are none); scanning in order, ch moves only on a strictly larger value
fn scan(p: u32, q0: u32, step: u32) -> Best {
  let c4 = params.c4;
  let c = params.c;
  let base = p * c4;
  var b = Best(0.0, NO_CH);
  for (var q = q0; q < c4; q += step) {
    let v = input[base + q];
    for (var j = 0u; j < 4u; j++) {
      let ch = q * 4u + j;
      if (ch < c && (b.ch == NO_CH || v[j] > b.v)) {
        b = Best(v[j], ch);
      }
    }
  }
  return b;
}

// a before b: the larger value, the lower channel on a tie (NO_CH last)
fn better(a: Best, b: Best) -> bool {
  if (b.ch == NO_CH) {
    return a.ch != NO_CH;
  }
  if (a.ch == NO_CH) {
    return false;
  }
  return a.v > b.v || (a.v == b.v && a.ch < b.ch);
}

fn store(p: u32, b: Best) {
  output[p] = vec4<f32>(f32(select(b.ch, 0u, b.ch == NO_CH)), 0.0, 0.0, 0.0);
}
