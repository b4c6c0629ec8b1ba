/*
 * int8 kernels for quantized programs (src/graph/qprogram.ts; run by qexecutor.ts). Activations
 * are int8 NHWC with channels padded to a multiple of 8; real = scale * (q - zp).
 *
 * Arithmetic (bit for bit the TypeScript reference runQuantReference):
 * - conv accumulators are int32: bias + sum (x - zx) * w, weights int16 with their zero point
 *   subtracted (|w| <= 255). The pointwise GEMM folds -zx * sum(w) into the bias and multiplies
 *   raw int8 x: i32x4.dot_i16x8_s does 8 multiply-adds per instruction (f32x4: 4);
 * - requantization in f32 (XNNPACK's "fp32" scheme): q = nearest(clamp(f32(acc) * mult + zp));
 *   an optional fused HARD_SWISH maps that q to the next tensor's grid in f32 (QEpi.hs);
 * - no FMA anywhere here (results must not depend on the build variant).
 *
 * Packed weights (qexecutor.ts packQ*): panels / blocks of 8 output channels, each
 * [bias: 8 x i32][mult: 8 x f32][weights]:
 * - pointwise / dense conv: per pair of input channels (k, k+1) 16 x i16:
 *   [w(k,n0) w(k+1,n0) w(k,n1) w(k+1,n1) .. n3][same for n4..n7]; K padded to a multiple of 8;
 * - depthwise: per tap 8 x i16.
 */
#include "common.h"

typedef struct {
  float zp, lo, hi;
  int32_t has_hs;
  float s1, z1, inv_s2, z2; /* hswish: conv grid (s1, z1) -> output grid (1 / s2, z2) */
} QEpi;

typedef struct {
  int32_t M, K, N; /* pixels, input channels (padded to 8), output channels (padded to 8) */
  const int8_t* in;
  const void* w;
  int8_t* out;
  QEpi e;
} QPwParams;

typedef struct {
  int32_t in_h, in_w, C, out_h, out_w, N; /* C: input channels padded (row stride), N: output padded */
  int32_t cin, sh, sw, dh, dw, pt, pl, kh, kw, K; /* cin: real input channels; K = kh*kw*cin padded to 8 */
  int32_t zx;
  const int8_t* in;
  const void* w;
  int8_t* out;
  QEpi e;
} QConvParams;

typedef struct {
  int32_t in_h, in_w, out_h, out_w, C;
  int32_t sh, sw, dh, dw, pt, pl, kh, kw;
  int32_t zx;
  const int8_t* in;
  const void* w;
  int8_t* out;
  QEpi e;
} QDwParams;

/* ---- the requantizing epilogue: 8 channels (two i32x4) -> 8 int8 ---- */
typedef struct {
  v128_t zp, lo, hi, s1, z1, inv, z2;
  int32_t hs;
} QEpiV;

INLINE void qepi_vectors(const QEpi* e, QEpiV* v) {
  v->zp = wasm_f32x4_splat(e->zp);
  v->lo = wasm_f32x4_splat(e->lo);
  v->hi = wasm_f32x4_splat(e->hi);
  v->s1 = wasm_f32x4_splat(e->s1);
  v->z1 = wasm_f32x4_splat(e->z1);
  v->inv = wasm_f32x4_splat(e->inv_s2);
  v->z2 = wasm_f32x4_splat(e->z2);
  v->hs = e->has_hs;
}

/* f32 value on the conv grid (integer valued, clamped) -> hswish output grid, nearest, clamped */
INLINE v128_t qhswish(const QEpiV* v, v128_t q) {
  const v128_t x = wasm_f32x4_mul(wasm_f32x4_sub(q, v->z1), v->s1);
  const v128_t t = vmin(vmax(wasm_f32x4_add(x, wasm_f32x4_const_splat(3.0f)), wasm_f32x4_const_splat(0.0f)), wasm_f32x4_const_splat(6.0f));
  const v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(x, t), wasm_f32x4_const_splat(1.0f / 6.0f));
  v128_t r = wasm_f32x4_add(wasm_f32x4_mul(y, v->inv), v->z2);
  r = vmin(vmax(r, wasm_f32x4_const_splat(-128.0f)), wasm_f32x4_const_splat(127.0f));
  return wasm_f32x4_nearest(r);
}

INLINE v128_t qrequant(const int HS, const QEpiV* v, v128_t acc, v128_t mult) {
  v128_t r = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), mult), v->zp);
  r = wasm_f32x4_nearest(vmin(vmax(r, v->lo), v->hi));
  if (HS) r = qhswish(v, r);
  return wasm_i32x4_trunc_sat_f32x4(r);
}

/* two i32x4 of int8-range values -> 8 bytes at dst */
INLINE void qstore8(int8_t* dst, v128_t a, v128_t b) {
  const v128_t h = wasm_i16x8_narrow_i32x4(a, b);
  wasm_v128_store64_lane(dst, wasm_i8x16_narrow_i16x8(h, h), 0);
}

/* ---- pointwise GEMM: MR x 8 tiles ---- */
#define QROW(i)                                                                            \
  if (MR > i) {                                                                            \
    const v128_t x = wasm_i16x8_extend_low_i8x16(wasm_v128_load16_splat(a##i + k));        \
    c##i##0 = wasm_i32x4_add(c##i##0, wasm_i32x4_dot_i16x8(x, w0));                        \
    c##i##1 = wasm_i32x4_add(c##i##1, wasm_i32x4_dot_i16x8(x, w1));                        \
  }
#define QSTORE(i)                                                                          \
  if (MR > i) qstore8(c + i * ldc, qrequant(HS, &ev, c##i##0, m0), qrequant(HS, &ev, c##i##1, m1));

INLINE void qtile(const int MR, const int HS, int K, const int8_t* a, int lda, const int32_t* panel, int8_t* c, int ldc, const QEpi* e) {
  const v128_t b0 = wasm_v128_load(panel), b1 = wasm_v128_load(panel + 4);
  v128_t c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
  const int8_t* a0 = a;
  const int8_t* a1 = a + (MR > 1 ? lda : 0);
  const int8_t* a2 = a + (MR > 2 ? 2 * lda : 0);
  const int8_t* a3 = a + (MR > 3 ? 3 * lda : 0);
  const int16_t* w = (const int16_t*)(panel + 16);
  for (int k = 0; k < K; k += 2) {
    const v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 8);
    w += 16;
    QROW(0)
    QROW(1)
    QROW(2)
    QROW(3)
  }
  const v128_t m0 = wasm_v128_load(panel + 8), m1 = wasm_v128_load(panel + 12);
  QEpiV ev;
  qepi_vectors(e, &ev);
  QSTORE(0)
  QSTORE(1)
  QSTORE(2)
  QSTORE(3)
}

/* panel stride in i32 words: 16 (bias + mult) + K * 4 (K/2 pairs x 16 i16) */
INLINE int panel_words(int K) { return 16 + K * 4; }

#define DEF_QROWS(MR, HS)                                                                                      \
  static __attribute__((noinline)) void qrows_##MR##_##HS(int K, int N, const int8_t* a, const int32_t* w, int8_t* c, const QEpi* e) { \
    for (int n = 0; n < N; n += 8) qtile(MR, HS, K, a, K, w + (n >> 3) * panel_words(K), c + n, N, e);       \
  }
DEF_QROWS(1, 0)
DEF_QROWS(2, 0)
DEF_QROWS(3, 0)
DEF_QROWS(4, 0)
DEF_QROWS(1, 1)
DEF_QROWS(2, 1)
DEF_QROWS(3, 1)
DEF_QROWS(4, 1)

/* rows [m0, m1) of a GEMM with A rows of stride K */
static void qgemm_rows(int m0, int m1, int K, int N, const int8_t* a, const int32_t* w, int8_t* c, const QEpi* e) {
  int m = m0;
  const int hs = e->has_hs;
  for (; m + 4 <= m1; m += 4) (hs ? qrows_4_1 : qrows_4_0)(K, N, a + m * K, w, c + m * N, e);
  switch (m1 - m) {
    case 3: (hs ? qrows_3_1 : qrows_3_0)(K, N, a + m * K, w, c + m * N, e); break;
    case 2: (hs ? qrows_2_1 : qrows_2_0)(K, N, a + m * K, w, c + m * N, e); break;
    case 1: (hs ? qrows_1_1 : qrows_1_0)(K, N, a + m * K, w, c + m * N, e); break;
    default: break;
  }
}

EXPORT void q_pointwise_rows(const QPwParams* p, int m0, int m1) {
  qgemm_rows(m0, m1 < p->M ? m1 : p->M, p->K, p->N, p->in, (const int32_t*)p->w, p->out, &p->e);
}
EXPORT void q_pointwise(const QPwParams* p) { q_pointwise_rows(p, 0, p->M); }

/* ---- dense conv (the stem) as im2col rows + the GEMM; out-of-bounds taps read zx (x - zx = 0) ---- */
#define IM2COL_BYTES 16384
EXPORT void q_conv_rows(const QConvParams* p, int y0, int y1) {
  int8_t buf[IM2COL_BYTES] __attribute__((aligned(16)));
  const int K = p->K, cin = p->cin;
  int chunk = IM2COL_BYTES / K;
  if (chunk > p->out_w) chunk = p->out_w;
  if (chunk < 1) return; /* K > 16384: refused by the executor */
  for (int oy = y0; oy < y1 && oy < p->out_h; oy++) {
    for (int ox0 = 0; ox0 < p->out_w; ox0 += chunk) {
      const int n = p->out_w - ox0 < chunk ? p->out_w - ox0 : chunk;
      for (int j = 0; j < n; j++) {
        int8_t* row = buf + j * K;
        int t = 0;
        for (int ky = 0; ky < p->kh; ky++) {
          const int iy = oy * p->sh - p->pt + ky * p->dh;
          for (int kx = 0; kx < p->kw; kx++) {
            const int ix = (ox0 + j) * p->sw - p->pl + kx * p->dw;
            const int ok = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
            const int8_t* src = p->in + (iy * p->in_w + ix) * p->C;
            for (int c = 0; c < cin; c++) row[t++] = ok ? src[c] : (int8_t)p->zx;
          }
        }
        for (; t < K; t++) row[t] = 0;
      }
      qgemm_rows(0, n, K, p->N, buf, (const int32_t*)p->w, p->out + (oy * p->out_w + ox0) * p->N, &p->e);
    }
  }
}
EXPORT void q_conv(const QConvParams* p) { q_conv_rows(p, 0, p->out_h); }

/* ---- depthwise: per output pixel and 8-channel block, taps in bounds only ---- */
INLINE void qdw_pixel(const int HS, const QDwParams* p, const int8_t* in, int oy, int ox, int ky0, int ky1, const QEpiV* ev) {
  const int C = p->C, kw = p->kw;
  const int ix0 = ox * p->sw - p->pl;
  int kx0 = 0, kx1 = kw;
  while (kx0 < kw && ix0 + kx0 * p->dw < 0) kx0++;
  while (kx1 > kx0 && ix0 + (kx1 - 1) * p->dw >= p->in_w) kx1--;
  const int iy0 = oy * p->sh - p->pt;
  const v128_t zx = wasm_i16x8_splat((int16_t)p->zx);
  const int taps = p->kh * kw;
  const int block = 16 + taps * 4; /* i32 words */
  int8_t* dst = p->out + (oy * p->out_w + ox) * C;
  const int32_t* wb = (const int32_t*)p->w;
  for (int c0 = 0; c0 < C; c0 += 8, wb += block) {
    v128_t a0 = wasm_v128_load(wb), a1 = wasm_v128_load(wb + 4);
    const int16_t* w = (const int16_t*)(wb + 16);
    for (int ky = ky0; ky < ky1; ky++) {
      const int8_t* src = in + ((iy0 + ky * p->dh) * p->in_w + ix0) * C + c0;
      for (int kx = kx0; kx < kx1; kx++) {
        const v128_t x = wasm_i16x8_sub(wasm_i16x8_load8x8(src + kx * p->dw * C), zx);
        const v128_t wv = wasm_v128_load(w + (ky * kw + kx) * 8);
        a0 = wasm_i32x4_add(a0, wasm_i32x4_extmul_low_i16x8(x, wv));
        a1 = wasm_i32x4_add(a1, wasm_i32x4_extmul_high_i16x8(x, wv));
      }
    }
    qstore8(dst + c0, qrequant(HS, ev, a0, wasm_v128_load(wb + 8)), qrequant(HS, ev, a1, wasm_v128_load(wb + 12)));
  }
}

static __attribute__((noinline)) void qdw_rows(const int HS, const QDwParams* p, int y0, int y1) {
  QEpiV ev;
  qepi_vectors(&p->e, &ev);
  for (int oy = y0; oy < y1 && oy < p->out_h; oy++) {
    const int iy0 = oy * p->sh - p->pt;
    int ky0 = 0, ky1 = p->kh;
    while (ky0 < p->kh && iy0 + ky0 * p->dh < 0) ky0++;
    while (ky1 > ky0 && iy0 + (ky1 - 1) * p->dh >= p->in_h) ky1--;
    for (int ox = 0; ox < p->out_w; ox++) qdw_pixel(HS, p, p->in, oy, ox, ky0, ky1, &ev);
  }
}
static __attribute__((noinline)) void qdw_rows_0(const QDwParams* p, int y0, int y1) { qdw_rows(0, p, y0, y1); }
static __attribute__((noinline)) void qdw_rows_1(const QDwParams* p, int y0, int y1) { qdw_rows(1, p, y0, y1); }

EXPORT void q_depthwise_rows(const QDwParams* p, int y0, int y1) { (p->e.has_hs ? qdw_rows_1 : qdw_rows_0)(p, y0, y1); }
EXPORT void q_depthwise(const QDwParams* p) { q_depthwise_rows(p, 0, p->out_h); }

/* ---- elementwise ---- */
typedef struct {
  int32_t count; /* bytes, a multiple of 8 */
  const int8_t* a;
  const int8_t* b;
  int8_t* out;
  float za, zb, ma, mb, zo, lo, hi;
} QAddParams;

INLINE void widen8(const int8_t* p, v128_t* lo, v128_t* hi) {
  const v128_t x = wasm_i16x8_load8x8(p);
  *lo = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(x));
  *hi = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(x));
}

INLINE v128_t qfinish(v128_t r, v128_t lo, v128_t hi) { return wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(vmin(vmax(r, lo), hi))); }

EXPORT void q_add(const QAddParams* p) {
  const v128_t za = wasm_f32x4_splat(p->za), zb = wasm_f32x4_splat(p->zb), ma = wasm_f32x4_splat(p->ma), mb = wasm_f32x4_splat(p->mb);
  const v128_t zo = wasm_f32x4_splat(p->zo), lo = wasm_f32x4_splat(p->lo), hi = wasm_f32x4_splat(p->hi);
  for (int i = 0; i < p->count; i += 8) {
    v128_t a0, a1, b0, b1;
    widen8(p->a + i, &a0, &a1);
    widen8(p->b + i, &b0, &b1);
    const v128_t r0 = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(a0, za), ma), wasm_f32x4_mul(wasm_f32x4_sub(b0, zb), mb)), zo);
    const v128_t r1 = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(a1, za), ma), wasm_f32x4_mul(wasm_f32x4_sub(b1, zb), mb)), zo);
    qstore8(p->out + i, qfinish(r0, lo, hi), qfinish(r1, lo, hi));
  }
}

typedef struct {
  int32_t pixels, C; /* C padded to 8 */
  const int8_t* in;
  const int8_t* gate;
  int8_t* out;
  float zx, zg, m, zo, lo, hi;
  float* scratch; /* C floats */
} QMulParams;

EXPORT void q_mul_channel(const QMulParams* p) {
  const int C = p->C;
  float* mc = p->scratch;
  for (int c = 0; c < C; c++) mc[c] = ((float)p->gate[c] - p->zg) * p->m;
  const v128_t zx = wasm_f32x4_splat(p->zx), zo = wasm_f32x4_splat(p->zo), lo = wasm_f32x4_splat(p->lo), hi = wasm_f32x4_splat(p->hi);
  for (int px = 0; px < p->pixels; px++) {
    const int8_t* x = p->in + px * C;
    int8_t* o = p->out + px * C;
    for (int c = 0; c < C; c += 8) {
      v128_t x0, x1;
      widen8(x + c, &x0, &x1);
      const v128_t r0 = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(x0, zx), wasm_v128_load(mc + c)), zo);
      const v128_t r1 = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(x1, zx), wasm_v128_load(mc + c + 4)), zo);
      qstore8(o + c, qfinish(r0, lo, hi), qfinish(r1, lo, hi));
    }
  }
}

typedef struct {
  int32_t pixels, C;
  const int8_t* in;
  int8_t* out;
  float zx, m, zo;
  int32_t* scratch; /* C ints */
} QMeanParams;

EXPORT void q_mean(const QMeanParams* p) {
  const int C = p->C, N = p->pixels;
  int32_t* s = p->scratch;
  for (int c = 0; c < C; c += 8) {
    v128_t s0 = wasm_i32x4_splat(0), s1 = wasm_i32x4_splat(0);
    for (int i = 0; i < N; i++) {
      const v128_t x = wasm_i16x8_load8x8(p->in + i * C + c);
      s0 = wasm_i32x4_add(s0, wasm_i32x4_extend_low_i16x8(x));
      s1 = wasm_i32x4_add(s1, wasm_i32x4_extend_high_i16x8(x));
    }
    wasm_v128_store(s + c, s0);
    wasm_v128_store(s + c + 4, s1);
  }
  const float nz = (float)N * p->zx;
  for (int c = 0; c < C; c++) {
    float r = ((float)s[c] - nz) * p->m + p->zo;
    r = r < -128.0f ? -128.0f : r > 127.0f ? 127.0f : r;
    p->out[c] = (int8_t)__builtin_rintf(r);
  }
}

typedef struct {
  int32_t count;
  const int8_t* in;
  int8_t* out;
  const int8_t* table; /* 256 */
} QLutParams;

EXPORT void q_lut(const QLutParams* p) {
  for (int i = 0; i < p->count; i++) p->out[i] = p->table[p->in[i] + 128];
}

/* float input [pixels][c] -> int8 [pixels][C] (padding lanes 0), optionally through a table */
typedef struct {
  int32_t pixels, c, C;
  const float* in;
  int8_t* out;
  float inv, zp;
  const int8_t* table; /* 0: none */
} QQuantParams;

EXPORT void q_quantize(const QQuantParams* p) {
  const int c = p->c, C = p->C;
  for (int px = 0; px < p->pixels; px++) {
    const float* x = p->in + px * c;
    int8_t* o = p->out + px * C;
    for (int j = 0; j < c; j++) {
      float r = __builtin_rintf(x[j] * p->inv + p->zp);
      r = r < -128.0f ? -128.0f : r > 127.0f ? 127.0f : r;
      const int q = (int)r;
      o[j] = p->table ? p->table[q + 128] : (int8_t)q;
    }
    for (int j = c; j < C; j++) o[j] = 0;
  }
}
