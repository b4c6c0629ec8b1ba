/*
 * Image preprocessing in WASM (model.run(image) and model.runFrame on the wasm backend):
 * the central crop, bilinear resize with half-pixel centres, colour order and scaling of
 * src/model/preprocess.ts, from 8-bit RGB(A) pixels straight into the model's input tensor.
 * The coordinates are worked out in double precision as in the TypeScript version; the blend
 * and the scaling run in f32 SIMD (one f32x4 per output pixel: the three channels and a zero
 * lane), so the result is within ~1e-6 of preprocessImage, not bit-equal.
 */
#include "common.h"

typedef struct {
  const uint8_t* src;
  int32_t width, height, channels; /* channels: 3 (RGB) or 4 (RGBA) */
  float* out;
  int32_t out_h, out_w, stride; /* stride: floats per output pixel, 3 or 4 (lane 3 written as 0) */
  float x0, y0, crop_w, crop_h;  /* the crop's origin and size in source pixels */
  int32_t order[3];              /* output channel k = source channel order[k] */
  float scale[3], bias[3];       /* value = pixel * scale[k] + bias[k] */
  int32_t* col_a;                /* scratch: out_w byte offsets of the left source column */
  int32_t* col_b;                /*          out_w byte offsets of the right one */
  float* col_f;                  /*          out_w weights of the right one */
} ImageParams;

static inline double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* the source pixel at byte offset o as f32x4 in output channel order (lane 3: 0) */
static inline v128_t px4(const uint8_t* s, int o, int ch, int r, int g, int b) {
  if (ch == 4) {
    /* 4 bytes -> u32x4 -> f32x4, then the lanes in output order (alpha is dropped below by scale 0) */
    v128_t v = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(s + o)));
    v = wasm_f32x4_convert_u32x4(v);
    if (r == 0) return v;
    return wasm_i32x4_shuffle(v, v, 2, 1, 0, 3);
  }
  return wasm_f32x4_make((float)s[o + r], (float)s[o + g], (float)s[o + b], 0.0f);
}

EXPORT void preprocess_image(const ImageParams* p) {
  const int W = p->width, H = p->height, ch = p->channels;
  const double sxs = (double)p->crop_w / p->out_w, sys = (double)p->crop_h / p->out_h;
  for (int ox = 0; ox < p->out_w; ox++) {
    const double sx = clampd(p->x0 + (ox + 0.5) * sxs - 0.5, 0, W - 1);
    const int xa = (int)__builtin_floor(sx);
    p->col_a[ox] = xa * ch;
    p->col_b[ox] = (xa + 1 < W ? xa + 1 : W - 1) * ch;
    p->col_f[ox] = (float)(sx - xa);
  }
  const int r = p->order[0], g = p->order[1], b = p->order[2];
  /* RGBA loads come in source order; px4 reorders them (only rgb / bgr orders exist) */
  const v128_t scale = wasm_f32x4_make(p->scale[0], p->scale[1], p->scale[2], 0.0f);
  const v128_t bias = wasm_f32x4_make(p->bias[0], p->bias[1], p->bias[2], 0.0f);
  const v128_t one = wasm_f32x4_splat(1.0f);
  for (int oy = 0; oy < p->out_h; oy++) {
    const double sy = clampd(p->y0 + (oy + 0.5) * sys - 0.5, 0, H - 1);
    const int ya = (int)__builtin_floor(sy);
    const uint8_t* ra = p->src + (int)ya * W * ch;
    const uint8_t* rb = p->src + (int)(ya + 1 < H ? ya + 1 : H - 1) * W * ch;
    const v128_t fy = wasm_f32x4_splat((float)(sy - ya));
    const v128_t gy = wasm_f32x4_sub(one, fy);
    float* out = p->out + (int)oy * p->out_w * p->stride;
    for (int ox = 0; ox < p->out_w; ox++, out += p->stride) {
      const int a = p->col_a[ox], c = p->col_b[ox];
      const v128_t fx = wasm_f32x4_splat(p->col_f[ox]);
      const v128_t gx = wasm_f32x4_sub(one, fx);
      const v128_t top = wasm_f32x4_add(wasm_f32x4_mul(px4(ra, a, ch, r, g, b), gx), wasm_f32x4_mul(px4(ra, c, ch, r, g, b), fx));
      const v128_t bot = wasm_f32x4_add(wasm_f32x4_mul(px4(rb, a, ch, r, g, b), gx), wasm_f32x4_mul(px4(rb, c, ch, r, g, b), fx));
      const v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_add(wasm_f32x4_mul(top, gy), wasm_f32x4_mul(bot, fy)), scale), bias);
      if (p->stride == 4) {
        wasm_v128_store(out, v);
      } else {
        out[0] = wasm_f32x4_extract_lane(v, 0);
        out[1] = wasm_f32x4_extract_lane(v, 1);
        out[2] = wasm_f32x4_extract_lane(v, 2);
      }
    }
  }
}
