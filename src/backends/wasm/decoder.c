/*
 * Decoder ops of the real segmentation / detection models (MediaPipe selfie, LR-ASPP, text
 * detectors): transposed convolution, resize, concat and pad, so those plans stop running TypeScript twins
 * inside the wasm backend. Each takes a row range (the thread pool splits rows); the
 * whole-range exports are what a single thread calls.
 */
#include "common.h"

/* conv_transpose: the weights are the plan's own layout (src/kernels/cpu/conv_transpose.ts),
   copied after the bias: for tap t and input channel block c4, [OC/4][4 in-lanes][4 out-lanes] */
typedef struct {
  int32_t in_h, in_w, IC, out_h, out_w, OC;
  int32_t sh, sw, pt, pl, kh, kw;
  const float* in;  /* [in_h][in_w][IC] */
  const float* w;   /* bias [OC], then taps x IC/4 blocks of OC/4 x 16 */
  const float* res; /* [out_h][out_w][OC] or 0 */
  float* out;       /* [out_h][out_w][OC] */
  Epi epi;
} CtParams;

EXPORT void conv_transpose_rows(const CtParams* p, int y0, int y1) {
  const int IC4 = p->IC >> 2, G = p->OC >> 2;
  const float* bias = p->w;
  const float* wt = p->w + p->OC;
  EpiV ev;
  epi_vectors(&p->epi, &ev);
  for (int oy = y0; oy < y1; oy++) {
    /* the taps with oy + pad_t - ky = iy * stride, 0 <= iy < in_h: once per row */
    const int ky0 = (oy + p->pt) % p->sh, iy0 = (oy + p->pt) / p->sh;
    /* x: ox + pad_l = ix0 * sw + kx0, advanced without a division per pixel */
    int kx0 = p->pl % p->sw, ix0 = p->pl / p->sw;
    for (int ox = 0; ox < p->out_w; ox++) {
      const int ob = (oy * p->out_w + ox) * p->OC;
      for (int g = 0; g < G; g++) {
        v128_t acc = wasm_v128_load(bias + 4 * g);
        for (int ky = ky0, iy = iy0; ky < p->kh && iy >= 0; ky += p->sh, iy--) {
          if (iy >= p->in_h) continue;
          for (int kx = kx0, ix = ix0; kx < p->kw && ix >= 0; kx += p->sw, ix--) {
            if (ix >= p->in_w) continue;
            const float* x = p->in + (iy * p->in_w + ix) * p->IC;
            const float* wb = wt + (ky * p->kw + kx) * IC4 * G * 16 + g * 16;
            for (int c4 = 0; c4 < IC4; c4++) {
              const float* w4 = wb + c4 * G * 16;
              acc = VMAC(acc, wasm_v128_load32_splat(x + 4 * c4), wasm_v128_load(w4));
              acc = VMAC(acc, wasm_v128_load32_splat(x + 4 * c4 + 1), wasm_v128_load(w4 + 4));
              acc = VMAC(acc, wasm_v128_load32_splat(x + 4 * c4 + 2), wasm_v128_load(w4 + 8));
              acc = VMAC(acc, wasm_v128_load32_splat(x + 4 * c4 + 3), wasm_v128_load(w4 + 12));
            }
          }
        }
        epi_store(-1, 2, &ev, acc, p->out + ob + 4 * g, p->res ? p->res + ob + 4 * g : 0);
      }
      if (++kx0 == p->sw) {
        kx0 = 0;
        ix0++;
      }
    }
  }
}

EXPORT void conv_transpose(const CtParams* p) { conv_transpose_rows(p, 0, p->out_h); }

/* resize: the plan's table (src/kernels/resize.ts): out_h rows (y0, y1, fy, 0), then out_w
   columns (x0, x1, fx, 0), indices stored as floats */
typedef struct {
  int32_t in_h, in_w, out_h, out_w, C, nearest;
  const float* in;
  const float* tab;
  float* out;
} RzParams;

EXPORT void resize_rows(const RzParams* p, int y0, int y1) {
  const int C = p->C;
  for (int oy = y0; oy < y1; oy++) {
    const float* ry = p->tab + oy * 4;
    const float* r0 = p->in + (int)ry[0] * p->in_w * C;
    const float* r1 = p->in + (int)ry[1] * p->in_w * C;
    const v128_t fy = wasm_f32x4_splat(ry[2]);
    const v128_t gy = wasm_f32x4_splat(1.0f - ry[2]);
    float* o = p->out + oy * p->out_w * C;
    for (int ox = 0; ox < p->out_w; ox++, o += C) {
      const float* rx = p->tab + (p->out_h + ox) * 4;
      const int x0 = (int)rx[0] * C, x1 = (int)rx[1] * C;
      if (p->nearest) {
        for (int k = 0; k < C; k += 4) wasm_v128_store(o + k, wasm_v128_load(r0 + x0 + k));
        continue;
      }
      const v128_t fx = wasm_f32x4_splat(rx[2]);
      const v128_t gx = wasm_f32x4_splat(1.0f - rx[2]);
      for (int k = 0; k < C; k += 4) {
        const v128_t top = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(r0 + x0 + k), gx), wasm_f32x4_mul(wasm_v128_load(r0 + x1 + k), fx));
        const v128_t bot = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(r1 + x0 + k), gx), wasm_f32x4_mul(wasm_v128_load(r1 + x1 + k), fx));
        wasm_v128_store(o + k, wasm_f32x4_add(wasm_f32x4_mul(top, gy), wasm_f32x4_mul(bot, fy)));
      }
    }
  }
}

EXPORT void resize(const RzParams* p) { resize_rows(p, 0, p->out_h); }

/* concat: output channel groups [q_lo, q_lo + q_count) of up to 4 inputs (the plan may split a
   wide concat into several dispatches); channels no input covers are 0 */
typedef struct {
  int32_t pixels, out_c4, q_lo, q_count;
  int32_t off[4], c[4], c4[4];
  const float* src[4];
  float* out;
} CatParams;

EXPORT void concat_rows(const CatParams* p, int p0, int p1) {
  const int OC = p->out_c4 * 4, lo = p->q_lo * 4, hi = (p->q_lo + p->q_count) * 4;
  for (int px = p0; px < p1; px++) {
    float* o = p->out + px * OC;
    for (int ch = lo; ch < hi; ch += 4) wasm_v128_store(o + ch, wasm_f32x4_const_splat(0.0f));
    for (int k = 3; k >= 0; k--) { /* input 0 wins where ranges overlap, as in the twin */
      if (p->c[k] <= 0) continue;
      const int a = p->off[k] > lo ? p->off[k] : lo;
      const int b = p->off[k] + p->c[k] < hi ? p->off[k] + p->c[k] : hi;
      const float* s = p->src[k] + px * p->c4[k] * 4 - p->off[k];
      for (int ch = a; ch < b; ch++) o[ch] = s[ch];
    }
  }
}

EXPORT void concat(const CatParams* p) { concat_rows(p, 0, p->pixels); }

/* pad: constant padding of an NHWC map (padded lanes past the real channel count stay 0) */
typedef struct {
  int32_t in_h, in_w, out_h, out_w, C, c, pt, pl;
  float value;
  const float* in;
  float* out;
} PadParams;

EXPORT void pad_rows(const PadParams* p, int y0, int y1) {
  const int C = p->C;
  for (int oy = y0; oy < y1; oy++) {
    const int iy = oy - p->pt;
    for (int ox = 0; ox < p->out_w; ox++) {
      const int ix = ox - p->pl;
      float* o = p->out + (oy * p->out_w + ox) * C;
      if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w) {
        const float* s = p->in + (iy * p->in_w + ix) * C;
        for (int k = 0; k < C; k += 4) wasm_v128_store(o + k, wasm_v128_load(s + k));
      } else {
        for (int k = 0; k < C; k++) o[k] = k < p->c ? p->value : 0.0f;
      }
    }
  }
}

EXPORT void pad(const PadParams* p) { pad_rows(p, 0, p->out_h); }
