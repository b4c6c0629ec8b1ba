// ssd_decode.wgsl: SSD box decoding, score threshold and compaction of one feature map's
//   anchors into the candidate list shared by all maps (one dispatch per map, in map order).
//   For anchor a (location p = a / A, slot j = a % A) and class k >= first_class:
//     score = softmax over the K logits of the anchor (SCORE 0) or sigmoid(logit) (SCORE 1);
//     if score > threshold it is appended as a candidate with the decoded box:
//     (dx, dy, dw, dh) = code (ORDER 0, torchvision) or code.yxwz (ORDER 1, TF OD (ty, tx, th, tw));
//     center = (dx, dy) / center_scale * anchor.wh + anchor.xy;
//     size = exp(min((dw, dh) / size_scale, max_log_scale)) * anchor.wh;
//     box = clamp((center - size/2, center + size/2), 0, 1)   (normalized x1, y1, x2, y2)
// Compaction: a workgroup-memory atomic counter (WGSL zero-initializes workgroup memory at
//   every dispatch, so nothing needs clearing between runs) hands out slots; the map's first
//   slot is the running count read from the header (0 for the first map), and thread 0 writes
//   the new running count back after a barrier. Later maps' dispatches see it because
//   dispatches in a pass are ordered. Slots past `capacity` are counted but not written.
// Layouts (array<vec4<f32>>): cls: locations*cls_c4 (NHWC, A*K channels padded to 4), the
//   logit of (p, j, k) is float p*cls_c4*4 + j*K + k; box: locations*A vec4 (A*4 channels), the
//   code of (p, j) is vec4 p*A + j; anchors in the weights buffer: (cx, cy, w, h) normalized,
//   one vec4 per anchor of this map at a_offset + a; output: (capacity + 1) rows of 2 vec4:
//   row 0 = (count, capacity, 0, 0), (0, 0, 0, 0); row s+1 = box, (score, k, anchor_base + a, 0).
//   The row order of candidates is unspecified (atomic order); consumers sort.
// One thread: anchors t, t + 256, t + 512, ... of the map.
// Dispatch: exactly one workgroup of 256 threads, (1, 1, 1), per map.

struct Params {
  locations: u32,
  anchors: u32,
  classes: u32,
  cls_c4: u32,
  a_offset: u32,
  anchor_base: u32,
  first: u32,
  first_class: u32,
  capacity: u32,
  threshold: f32,
  center_scale: f32,
  size_scale: f32,
  max_log_scale: f32,
}

override SCORE: u32 = 0u;
override ORDER: u32 = 0u;

const WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> cls: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> box: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> count: atomic<u32>;
var<workgroup> base: u32;

fn logit(i: u32) -> f32 {
  return cls[i / 4u][i % 4u];
}

fn decode(p: u32, j: u32, a: u32) -> vec4<f32> {
  let r = box[p * params.anchors + j];
  var d = r;
  if (ORDER == 1u) {
    d = r.yxwz;
  }
  let anchor = weights[params.a_offset + a];
  let center = d.xy / params.center_scale * anchor.zw + anchor.xy;
  let size = exp(min(d.zw / params.size_scale, vec2<f32>(params.max_log_scale))) * anchor.zw;
  return clamp(vec4<f32>(center - 0.5 * size, center + 0.5 * size), vec4<f32>(0.0), vec4<f32>(1.0));
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(local_invocation_index) t: u32) {
  if (t == 0u) {
    var b = 0u;
    if (params.first == 0u) {
      b = u32(output[0].x);
    }
    base = b;
  }
  workgroupBarrier();
  let first_slot = base;
  let k_count = params.classes;
  let total = params.locations * params.anchors;
  for (var a = t; a < total; a += WG) {
    let p = a / params.anchors;
    let j = a % params.anchors;
    let c0 = p * params.cls_c4 * 4u + j * k_count;
    var mx = -3.4028234663852886e38;
    var sum = 0.0;
    if (SCORE == 0u) {
      for (var k = 0u; k < k_count; k++) {
        mx = max(mx, logit(c0 + k));
      }
      for (var k = 0u; k < k_count; k++) {
        sum += exp(logit(c0 + k) - mx);
      }
    }
    var have_box = false;
    var corners = vec4<f32>(0.0);
    for (var k = params.first_class; k < k_count; k++) {
      let l = logit(c0 + k);
      var s: f32;
      if (SCORE == 0u) {
        s = exp(l - mx) / sum;
      } else {
        s = 1.0 / (1.0 + exp(-l));
      }
      if (s > params.threshold) {
        if (!have_box) {
          corners = decode(p, j, a);
          have_box = true;
        }
        let slot = first_slot + atomicAdd(&count, 1u);
        if (slot < params.capacity) {
          output[2u * slot + 2u] = corners;
          output[2u * slot + 3u] = vec4<f32>(s, f32(k), f32(params.anchor_base + a), 0.0);
        }
      }
    }
  }
  workgroupBarrier();
  if (t == 0u) {
    output[0] = vec4<f32>(f32(first_slot + atomicLoad(&count)), f32(params.capacity), 0.0, 0.0);
    output[1] = vec4<f32>(0.0);
  }
}
