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
 * - depthwise: per tap 8 x i16 (border pixels), then per kernel row ceil(kw / 2) tap pairs of
 *   16 x i16: [w(t,c0) w(t+1,c0) .. c3][same for c4..c7] (qdw_quad; an odd row's last pair has
 *   a zero second weight), then per kernel row the 8 sums of its weights (i32; qdw_quad folds
 *   the input zero point into the bias with them).
 */
#include "common.h"

typedef struct {
  float zp, lo, hi;
  int32_t has_hs;
  float s1, z1, k, z2; /* hswish: conv grid (s1, z1) -> output grid: k = s1 / (6 s2), z2 */
} QEpi;

typedef struct {
  int32_t M, K, N; /* pixels, input channels (padded to 8), output channels (padded to 8) */
  const int8_t* in;
  const void* w;
  int8_t* out;
  QEpi e;
  int32_t W, out_row; /* out_row != W * N: output rows of W pixels, out_row bytes apart (a padded buffer) */
} QPwParams;

typedef struct {
  int32_t in_h, in_w, C, out_h, out_w, N; /* C: input channels padded (row stride), N: output padded */
  int32_t cin, sh, sw, dh, dw, pt, pl, kh, kw, K; /* cin: real input channels; K = kh*kw*cin padded to 8 */
  int32_t zx;
  const int8_t* in;
  const void* w;
  int8_t* out;
  QEpi e;
  int32_t out_row; /* bytes between output rows (out_w * N, or a padded buffer's) */
} QConvParams;

typedef struct {
  int32_t in_h, in_w, out_h, out_w, C;
  int32_t sh, sw, dh, dw, pt, pl, kh, kw;
  int32_t zx;
  const int8_t* in;
  const void* w;
  int8_t* out;
  QEpi e;
  /* padded = 1: `in` is a buffer with pt rows / pl columns of zero point around the image (its
     producer wrote only the interior), in_row bytes per row, wide and tall enough for every tap
     of every 4-pixel group: no bounds checks at all */
  int32_t padded, in_row;
} QDwParams;

/* ---- the requantizing epilogue: 8 channels (two i32x4) -> 8 int8 ----
 * q = nearest(f32(acc) * mult + zp) saturated to int8 by the narrowing, then clamped to [lo, hi]
 * in int8 (rounding then clamping to integer bounds = clamping then rounding). With a fused
 * HARD_SWISH the clamped q (u = q - z1) goes on in f32: t = clamp(u * s1 + 3, 0, 6),
 * out = nearest(u * t * k + z2), k = s1 / (6 * s2) (qprogram.ts hswishQ). */
typedef struct {
  v128_t zp, s1, z1, k, z2, lo8, hi8, lo, hi;
  int32_t hs;
} QEpiV;

INLINE void qepi_vectors(const QEpi* e, QEpiV* v) {
  v->zp = wasm_f32x4_splat(e->zp);
  v->s1 = wasm_f32x4_splat(e->s1);
  v->z1 = wasm_f32x4_splat(e->z1);
  v->k = wasm_f32x4_splat(e->k);
  v->z2 = wasm_f32x4_splat(e->z2);
  v->lo8 = wasm_i8x16_splat((int8_t)e->lo);
  v->hi8 = wasm_i8x16_splat((int8_t)e->hi);
  v->lo = wasm_f32x4_splat(e->lo);
  v->hi = wasm_f32x4_splat(e->hi);
  v->hs = e->has_hs;
}

INLINE v128_t qhswish(const QEpiV* v, v128_t q) {
  const v128_t u = wasm_f32x4_sub(q, v->z1);
  const v128_t t = vmin(vmax(wasm_f32x4_add(wasm_f32x4_mul(u, v->s1), wasm_f32x4_const_splat(3.0f)), wasm_f32x4_const_splat(0.0f)), wasm_f32x4_const_splat(6.0f));
  return wasm_f32x4_nearest(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(u, t), v->k), v->z2));
}

/* two accumulators (8 channels) -> 8 int8 at dst */
INLINE void qstore_acc(const int HS, int8_t* dst, const QEpiV* v, v128_t a0, v128_t a1, v128_t m0, v128_t m1) {
  v128_t r0 = wasm_f32x4_nearest(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(a0), m0), v->zp));
  v128_t r1 = wasm_f32x4_nearest(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(a1), m1), v->zp));
  if (HS) {
    r0 = qhswish(v, vmin(vmax(r0, v->lo), v->hi));
    r1 = qhswish(v, vmin(vmax(r1, v->lo), v->hi));
  }
  const v128_t h = wasm_i16x8_narrow_i32x4(wasm_i32x4_trunc_sat_f32x4(r0), wasm_i32x4_trunc_sat_f32x4(r1));
  v128_t b = wasm_i8x16_narrow_i16x8(h, h);
  if (!HS) b = wasm_i8x16_min(wasm_i8x16_max(b, v->lo8), v->hi8);
  wasm_v128_store64_lane(dst, b, 0);
}

/* two i32x4 of int8-range values -> 8 bytes at dst */
INLINE void qstore8(int8_t* dst, v128_t a, v128_t b) {
  const v128_t h = wasm_i16x8_narrow_i32x4(a, b);
  wasm_v128_store64_lane(dst, wasm_i8x16_narrow_i16x8(h, h), 0);
}

/* ---- pointwise GEMM: MR x 8 tiles ----
 * Per 8 input channels and row: one i16x8.load8x8 (pmovsxbw from memory), then per pair
 * (k, k+1) an i32x4 splat of that pair (one pshufd) and two i32x4.dot_i16x8_s against the
 * pair's two weight vectors (4 output channels each). K is a multiple of 8 (channels are
 * padded to 8; the dense conv's K too): qexecutor.ts checks it. */
#define QROW8(i)                                                                           \
  if (MR > i) {                                                                            \
    const v128_t xv = wasm_i16x8_load8x8(a##i + k);                                        \
    v128_t x = wasm_i32x4_shuffle(xv, xv, 0, 0, 0, 0);                                     \
    c##i##0 = wasm_i32x4_add(c##i##0, wasm_i32x4_dot_i16x8(x, w0));                        \
    c##i##1 = wasm_i32x4_add(c##i##1, wasm_i32x4_dot_i16x8(x, w1));                        \
    x = wasm_i32x4_shuffle(xv, xv, 1, 1, 1, 1);                                            \
    c##i##0 = wasm_i32x4_add(c##i##0, wasm_i32x4_dot_i16x8(x, w2));                        \
    c##i##1 = wasm_i32x4_add(c##i##1, wasm_i32x4_dot_i16x8(x, w3));                        \
    x = wasm_i32x4_shuffle(xv, xv, 2, 2, 2, 2);                                            \
    c##i##0 = wasm_i32x4_add(c##i##0, wasm_i32x4_dot_i16x8(x, w4));                        \
    c##i##1 = wasm_i32x4_add(c##i##1, wasm_i32x4_dot_i16x8(x, w5));                        \
    x = wasm_i32x4_shuffle(xv, xv, 3, 3, 3, 3);                                            \
    c##i##0 = wasm_i32x4_add(c##i##0, wasm_i32x4_dot_i16x8(x, w6));                        \
    c##i##1 = wasm_i32x4_add(c##i##1, wasm_i32x4_dot_i16x8(x, w7));                        \
  }
#define QSTORE(i) \
  if (MR > i) qstore_acc(HS, c + i * ldc, &ev, c##i##0, c##i##1, m0, m1);

INLINE void qtile(const int MR, const int HS, int K, const int8_t* a, int lda, const int32_t* panel, int8_t* c, int ldc, const QEpi* e) {
  const v128_t b0 = wasm_v128_load(panel), b1 = wasm_v128_load(panel + 4);
  v128_t c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
  const int8_t* a0 = a;
  const int8_t* a1 = a + (MR > 1 ? lda : 0);
  const int8_t* a2 = a + (MR > 2 ? 2 * lda : 0);
  const int8_t* a3 = a + (MR > 3 ? 3 * lda : 0);
  const int16_t* w = (const int16_t*)(panel + 16);
  for (int k = 0; k < K; k += 8) {
    const v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 8), w2 = wasm_v128_load(w + 16), w3 = wasm_v128_load(w + 24);
    const v128_t w4 = wasm_v128_load(w + 32), w5 = wasm_v128_load(w + 40), w6 = wasm_v128_load(w + 48), w7 = wasm_v128_load(w + 56);
    w += 64;
    QROW8(0)
    QROW8(1)
    QROW8(2)
    QROW8(3)
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
  if (m1 > p->M) m1 = p->M;
  const int W = p->W, N = p->N;
  if (p->out_row == W * N) {
    qgemm_rows(m0, m1, p->K, N, p->in, (const int32_t*)p->w, p->out, &p->e);
    return;
  }
  /* padded output: image row by image row (pixel m of row r goes to out + r * out_row + (m - r W) N) */
  for (int m = m0; m < m1;) {
    const int r = m / W;
    const int end = (r + 1) * W < m1 ? (r + 1) * W : m1;
    qgemm_rows(m, end, p->K, N, p->in, (const int32_t*)p->w, p->out + r * p->out_row - r * W * N, &p->e);
    m = end;
  }
}
EXPORT void q_pointwise(const QPwParams* p) { q_pointwise_rows(p, 0, p->M); }

/* ---- dense conv (the stem) as im2col rows + the GEMM; out-of-bounds taps read zx (x - zx = 0) ----
 * K = kh * kw * cin rounded up to even (the weights past kh * kw * cin are 0). When the input is
 * stored unpadded (C == cin, the executor does that for an input only dense convs read), the
 * kw * cin bytes of one kernel row are contiguous and an in-bounds row is one 16-byte copy
 * (kw * cin <= 16; the copies overlap forward, the buffer has slack). A row's bytes past
 * kh * kw * cin are never written: their weights are 0, so whatever they hold adds nothing. */
#define IM2COL_BYTES 16384
EXPORT void q_conv_rows(const QConvParams* p, int y0, int y1) {
  int8_t buf[IM2COL_BYTES + 32] __attribute__((aligned(16)));
  const int K = p->K, cin = p->cin, C = p->C, kw = p->kw;
  const int rowBytes = kw * cin;
  const int fast = C == cin && rowBytes <= 16;
  int chunk = IM2COL_BYTES / K;
  if (chunk > p->out_w) chunk = p->out_w;
  if (chunk < 1) return; /* K > 16384: refused by the executor */
  for (int oy = y0; oy < y1 && oy < p->out_h; oy++) {
    for (int ox0 = 0; ox0 < p->out_w; ox0 += chunk) {
      const int n = p->out_w - ox0 < chunk ? p->out_w - ox0 : chunk;
      for (int j = 0; j < n; j++) {
        int8_t* row = buf + j * K;
        const int ixa = (ox0 + j) * p->sw - p->pl;
        const int colsIn = ixa >= 0 && ixa + (kw - 1) * p->dw < p->in_w;
        int t = 0;
        for (int ky = 0; ky < p->kh; ky++) {
          const int iy = oy * p->sh - p->pt + ky * p->dh;
          if (fast && colsIn && p->dw == 1 && iy >= 0 && iy < p->in_h) {
            wasm_v128_store(row + t, wasm_v128_load(p->in + (iy * p->in_w + ixa) * C));
            t += rowBytes;
            continue;
          }
          for (int kx = 0; kx < kw; kx++) {
            const int ix = ixa + kx * p->dw;
            const int ok = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
            const int8_t* src = p->in + (iy * p->in_w + ix) * C;
            for (int c = 0; c < cin; c++) row[t++] = ok ? src[c] : (int8_t)p->zx;
          }
        }
        /* bytes t..K-1 are left as they are: their weights are 0 (and the fast copies spill into them) */
      }
      qgemm_rows(0, n, K, p->N, buf, (const int32_t*)p->w, p->out + oy * p->out_row + ox0 * p->N, &p->e);
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
  const int block = 16 + taps * 4 + p->kh * ((kw + 1) >> 1) * 8 + p->kh * 8; /* i32 words: see qdw_quad */
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
    qstore_acc(HS, dst + c0, ev, a0, a1, wasm_v128_load(wb + 8), wasm_v128_load(wb + 12));
  }
}

/* 4 output pixels (ox .. ox + 3, every tap column in bounds) x one 8-channel block, taps in
 * pairs along a kernel row: the two taps' bytes interleaved (one punpcklbw), widened, and
 * i32x4.dot_i16x8_s against the pair's interleaved weights: 2 multiply-adds per lane per
 * instruction (extmul is 3 SSE instructions per half). An odd row's last tap pairs with itself
 * and a zero weight. Each weight pair is loaded once for the four pixels. */
#define DW4_PAIR(q, XB)                                                                         \
  do {                                                                                          \
    const v128_t xa = wasm_v128_load64_zero(src + (q) * xs);                                    \
    const v128_t xb = XB ? wasm_v128_load64_zero(src + (q) * xs + ds) : xa;                     \
    const v128_t il = wasm_i8x16_shuffle(xa, xb, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23); \
    a##q##0 = wasm_i32x4_add(a##q##0, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(il), wa));  \
    a##q##1 = wasm_i32x4_add(a##q##1, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(il), wb)); \
  } while (0)

/* in / row: the input buffer and its row stride; (iy0, ix0): the first pixel's top-left tap in it;
   rows ky0..ky1-1 in bounds; np (1..4) pixels stored (all four computed) */
INLINE void qdw_quad(const int HS, const QDwParams* p, const int8_t* in, int row, int iy0, int ix0, int ky0, int ky1, int8_t* dst, int np, const QEpiV* ev) {
  const int C = p->C, kw = p->kw, xs = p->sw * C, ds = p->dw * C;
  const int pairs = (kw + 1) >> 1;
  const v128_t zx = wasm_i32x4_splat(p->zx);
  const int block = 16 + p->kh * kw * 4 + p->kh * pairs * 8 + p->kh * 8; /* i32 words */
  const int32_t* wb0 = (const int32_t*)p->w;
  for (int c0 = 0; c0 < C; c0 += 8, wb0 += block) {
    /* the input zero point: bias - zx * (sum of the weights of the rows in bounds) */
    const int32_t* rs = wb0 + 16 + p->kh * kw * 4 + p->kh * pairs * 8;
    v128_t s0 = wasm_i32x4_splat(0), s1 = s0;
    for (int ky = ky0; ky < ky1; ky++) {
      s0 = wasm_i32x4_add(s0, wasm_v128_load(rs + ky * 8));
      s1 = wasm_i32x4_add(s1, wasm_v128_load(rs + ky * 8 + 4));
    }
    const v128_t b0 = wasm_i32x4_sub(wasm_v128_load(wb0), wasm_i32x4_mul(s0, zx)), b1 = wasm_i32x4_sub(wasm_v128_load(wb0 + 4), wasm_i32x4_mul(s1, zx));
    v128_t a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
    const int16_t* wp = (const int16_t*)(wb0 + 16 + p->kh * kw * 4);
    for (int ky = ky0; ky < ky1; ky++) {
      const int8_t* src = in + (iy0 + ky * p->dh) * row + ix0 * C + c0;
      const int16_t* w = wp + ky * pairs * 16;
      int kx = 0;
      for (; kx + 2 <= kw; kx += 2, src += 2 * ds, w += 16) {
        const v128_t wa = wasm_v128_load(w), wb = wasm_v128_load(w + 8);
        DW4_PAIR(0, 1);
        DW4_PAIR(1, 1);
        DW4_PAIR(2, 1);
        DW4_PAIR(3, 1);
      }
      if (kx < kw) {
        const v128_t wa = wasm_v128_load(w), wb = wasm_v128_load(w + 8);
        DW4_PAIR(0, 0);
        DW4_PAIR(1, 0);
        DW4_PAIR(2, 0);
        DW4_PAIR(3, 0);
      }
    }
    const v128_t m0 = wasm_v128_load(wb0 + 8), m1 = wasm_v128_load(wb0 + 12);
    qstore_acc(HS, dst + c0, ev, a00, a01, m0, m1);
    if (np > 1) qstore_acc(HS, dst + C + c0, ev, a10, a11, m0, m1);
    if (np > 2) qstore_acc(HS, dst + 2 * C + c0, ev, a20, a21, m0, m1);
    if (np > 3) qstore_acc(HS, dst + 3 * C + c0, ev, a30, a31, m0, m1);
  }
}

static __attribute__((noinline)) void qdw_rows(const int HS, const QDwParams* p, int y0, int y1) {
  QEpiV ev;
  qepi_vectors(&p->e, &ev);
  if (p->padded) {
    for (int oy = y0; oy < y1 && oy < p->out_h; oy++)
      for (int ox = 0; ox < p->out_w; ox += 4)
        qdw_quad(HS, p, p->in, p->in_row, oy * p->sh, ox * p->sw, 0, p->kh, p->out + (oy * p->out_w + ox) * p->C, p->out_w - ox < 4 ? p->out_w - ox : 4, &ev);
    return;
  }
  /* output columns whose taps are all in bounds: [xa, xb) */
  int xa = 0, xb = p->out_w;
  while (xa < p->out_w && xa * p->sw - p->pl < 0) xa++;
  while (xb > xa && (xb - 1) * p->sw - p->pl + (p->kw - 1) * p->dw >= p->in_w) xb--;
  for (int oy = y0; oy < y1 && oy < p->out_h; oy++) {
    const int iy0 = oy * p->sh - p->pt;
    int ky0 = 0, ky1 = p->kh;
    while (ky0 < p->kh && iy0 + ky0 * p->dh < 0) ky0++;
    while (ky1 > ky0 && iy0 + (ky1 - 1) * p->dh >= p->in_h) ky1--;
    int ox = 0;
    for (; ox < xa; ox++) qdw_pixel(HS, p, p->in, oy, ox, ky0, ky1, &ev);
    for (; ox + 4 <= xb; ox += 4)
      qdw_quad(HS, p, p->in, p->in_w * p->C, iy0, ox * p->sw - p->pl, ky0, ky1, p->out + (oy * p->out_w + ox) * p->C, 4, &ev);
    for (; ox < p->out_w; ox++) qdw_pixel(HS, p, p->in, oy, ox, ky0, ky1, &ev);
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

/* 8-byte groups [g0, g1) */
EXPORT void q_add_rows(const QAddParams* p, int g0, int g1) {
  const int n = p->count >> 3;
  if (g1 > n) g1 = n;
  const v128_t za = wasm_f32x4_splat(p->za), zb = wasm_f32x4_splat(p->zb), ma = wasm_f32x4_splat(p->ma), mb = wasm_f32x4_splat(p->mb);
  const v128_t zo = wasm_f32x4_splat(p->zo), lo = wasm_f32x4_splat(p->lo), hi = wasm_f32x4_splat(p->hi);
  for (int i = g0 * 8; i < g1 * 8; i += 8) {
    v128_t a0, a1, b0, b1;
    widen8(p->a + i, &a0, &a1);
    widen8(p->b + i, &b0, &b1);
    const v128_t r0 = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(a0, za), ma), wasm_f32x4_mul(wasm_f32x4_sub(b0, zb), mb)), zo);
    const v128_t r1 = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(a1, za), ma), wasm_f32x4_mul(wasm_f32x4_sub(b1, zb), mb)), zo);
    qstore8(p->out + i, qfinish(r0, lo, hi), qfinish(r1, lo, hi));
  }
}

EXPORT void q_add(const QAddParams* p) { q_add_rows(p, 0, p->count >> 3); }

typedef struct {
  int32_t pixels, C; /* C padded to 8 */
  const int8_t* in;
  const int8_t* gate;
  int8_t* out;
  float zx, zg, m, zo, lo, hi;
  float* scratch; /* C floats */
} QMulParams;

/* the per-channel multipliers (once per run, before the rows are split) */
EXPORT void q_mul_channel_prep(const QMulParams* p) {
  for (int c = 0; c < p->C; c++) p->scratch[c] = ((float)p->gate[c] - p->zg) * p->m;
}

EXPORT void q_mul_channel_rows(const QMulParams* p, int px0, int px1) {
  const int C = p->C;
  const float* mc = p->scratch;
  if (px1 > p->pixels) px1 = p->pixels;
  const v128_t zx = wasm_f32x4_splat(p->zx), zo = wasm_f32x4_splat(p->zo), lo = wasm_f32x4_splat(p->lo), hi = wasm_f32x4_splat(p->hi);
  for (int px = px0; px < px1; px++) {
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

EXPORT void q_mul_channel(const QMulParams* p) {
  q_mul_channel_prep(p);
  q_mul_channel_rows(p, 0, p->pixels);
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
  if (C == c && !p->table) {
    const int n = p->pixels * c;
    const v128_t inv = wasm_f32x4_splat(p->inv), zp = wasm_f32x4_splat(p->zp);
    int i = 0;
#define QQ(o) wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(p->in + i + o), inv), zp)))
    for (; i + 16 <= n; i += 16) {
      const v128_t a = wasm_i16x8_narrow_i32x4(QQ(0), QQ(4)), b = wasm_i16x8_narrow_i32x4(QQ(8), QQ(12));
      wasm_v128_store(p->out + i, wasm_i8x16_narrow_i16x8(a, b));
    }
#undef QQ
    for (; i < n; i++) {
      float r = __builtin_rintf(p->in[i] * p->inv + p->zp);
      r = r < -128.0f ? -128.0f : r > 127.0f ? 127.0f : r;
      p->out[i] = (int8_t)(int)r;
    }
    return;
  }
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
