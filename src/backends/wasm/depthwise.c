/*
 * depthwise KHxKW convolution over NHWC with stride, dilation and padding, + act + clamp:
 *   out[oy][ox][c] = epi(bias[c] + sum_{ky,kx in bounds} w[ky][kx][c] * in[oy*sh-pt+ky*dh][ox*sw-pl+kx*dw][c])
 *
 * Packed weights (wasm_pack.ts packDepthwiseWasm): channel blocks of 8 (the last one 4 wide
 * when C % 8 == 4); block b starts at float b * 8 * (KH*KW + 1) and holds
 * [bias: nc][tap 0: nc][tap 1: nc]... so a block's weights are contiguous (L1-resident while
 * it sweeps a row).
 *
 * Work unit: 4 adjacent output pixels x one channel block (8 f32x4 accumulators for nc = 8):
 * per tap one weight load per vector shared by the 4 pixels (10 loads, 8 mul, 8 add). Rows
 * outside the input are skipped per output row; columns are checked only for quads touching
 * the left/right border (out-of-bounds taps read a zero vector instead, same code).
 *
 * Measured (Node 20, Zen 3, GFLOP/s per layer): 7-14 for MobileNetV3's layers, vs 33 for the
 * pointwise GEMM. What limits it: V8's TurboFan schedules each basic block itself (all loads
 * first, then the multiply-add chains grouped per accumulator), so an unrolled tap loop keeps
 * ~20 vectors live and spills xmm registers, and a rolled one pays ~5 instructions per f32x4
 * multiply-add in pointer updates and loop control. Tried and dropped (no faster, A/B in one
 * process): 4-channel halves (4 accumulators, no spills), asm barriers to force tap-major
 * order (V8 reschedules anyway), a zero-padded input copy for small maps (the copy and the
 * padded rows' zero work cost more than the border checks saved: 7x7..28x28 maps 20-60%
 * slower).
 */
#include "common.h"

typedef struct {
  int32_t in_h, in_w, out_h, out_w, C;
  int32_t sh, sw, dh, dw, pt, pl, kh, kw;
  const float* in;
  const float* w;
  float* out;
  const float* zero; /* >= 8 zero floats */
  Epi epi;
} DwParams;

/* MAC of one tap for pixel q: acc_q0 (+ acc_q1 when NV == 2) += in[src] * w */
#define DW_MAC(q, src)                                                                     \
  do {                                                                                     \
    a##q##0 = VMAC(a##q##0, wasm_v128_load(src), w0);            \
    if (NV > 1) a##q##1 = VMAC(a##q##1, wasm_v128_load((src) + 4), w1); \
  } while (0)

/*
 * np (1..4) output pixels from ox, one channel block. Pixels past np duplicate the last one
 * (same values, stored to the same place). Named accumulators, not arrays: with arrays clang
 * sometimes keeps them on the shadow stack in linear memory, which costs 2-3x.
 */
INLINE void quad(const int NV, const int CHECKED, const DwParams* p, int oy, int ox, int np, int ky0, int ky1, int c0,
                 const float* wb) {
  const int C = p->C, nc = 4 * NV, in_w = p->in_w;
  const int ix0 = ox * p->sw - p->pl;
  /* pixel q is ox + min(q, np - 1) */
  const int q1 = np > 1 ? 1 : 0, q2 = np > 2 ? 2 : np - 1, q3 = np - 1;
  const int sx1 = q1 * p->sw, sx2 = q2 * p->sw, sx3 = q3 * p->sw;
  const v128_t b0 = wasm_v128_load(wb), b1 = NV > 1 ? wasm_v128_load(wb + 4) : b0;
  v128_t a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
  const int iy0 = oy * p->sh - p->pt;
  const int dstep = p->dw * C;
  for (int ky = ky0; ky < ky1; ky++) {
    const float* row = p->in + (iy0 + ky * p->dh) * in_w * C + c0;
    const float* wk = wb + nc * (1 + ky * p->kw);
    if (!CHECKED) {
      const float* r0 = row + ix0 * C;
      const float* r1 = r0 + sx1 * C;
      const float* r2 = r0 + sx2 * C;
      const float* r3 = r0 + sx3 * C;
      for (int kx = 0; kx < p->kw; kx++) {
        const v128_t w0 = wasm_v128_load(wk), w1 = NV > 1 ? wasm_v128_load(wk + 4) : w0;
        DW_MAC(0, r0);
        DW_MAC(1, r1);
        DW_MAC(2, r2);
        DW_MAC(3, r3);
        wk += nc;
        r0 += dstep;
        r1 += dstep;
        r2 += dstep;
        r3 += dstep;
      }
    } else {
      for (int kx = 0; kx < p->kw; kx++) {
        const v128_t w0 = wasm_v128_load(wk), w1 = NV > 1 ? wasm_v128_load(wk + 4) : w0;
        const int ix = ix0 + kx * p->dw;
        /* (unsigned) compare: out of [0, in_w) -> the zero vector */
        const float* r0 = (unsigned)ix < (unsigned)in_w ? row + ix * C : p->zero;
        const float* r1 = (unsigned)(ix + sx1) < (unsigned)in_w ? row + (ix + sx1) * C : p->zero;
        const float* r2 = (unsigned)(ix + sx2) < (unsigned)in_w ? row + (ix + sx2) * C : p->zero;
        const float* r3 = (unsigned)(ix + sx3) < (unsigned)in_w ? row + (ix + sx3) * C : p->zero;
        DW_MAC(0, r0);
        DW_MAC(1, r1);
        DW_MAC(2, r2);
        DW_MAC(3, r3);
        wk += nc;
      }
    }
  }
  float* dst = p->out + (oy * p->out_w + ox) * C + c0;
  EpiV ev;
  epi_vectors(&p->epi, &ev);
  /* stored last to first: with np < 4 the duplicates land on pixel np-1, rewritten by the real one */
  switch (epi_key(&p->epi, 0)) {
#define DW_STORE(A, F)                                                     \
  epi_store(A, F, &ev, a30, dst + q3 * C, 0);                   \
  if (NV > 1) epi_store(A, F, &ev, a31, dst + q3 * C + 4, 0);   \
  epi_store(A, F, &ev, a20, dst + q2 * C, 0);                   \
  if (NV > 1) epi_store(A, F, &ev, a21, dst + q2 * C + 4, 0);   \
  epi_store(A, F, &ev, a10, dst + q1 * C, 0);                   \
  if (NV > 1) epi_store(A, F, &ev, a11, dst + q1 * C + 4, 0);   \
  epi_store(A, F, &ev, a00, dst, 0);                                       \
  if (NV > 1) epi_store(A, F, &ev, a01, dst + 4, 0);
    EPI_CASES(DW_STORE)
#undef DW_STORE
  }
}

#define DEF_QUAD(NV, CHECKED)                                                                                       \
  static __attribute__((noinline)) void quad_##NV##_##CHECKED(const DwParams* p, int oy, int ox, int np, int ky0,  \
                                                              int ky1, int c0, const float* wb) {                   \
    quad(NV, CHECKED, p, oy, ox, np, ky0, ky1, c0, wb);                                                             \
  }
DEF_QUAD(1, 0)
DEF_QUAD(1, 1)
DEF_QUAD(2, 0)
DEF_QUAD(2, 1)

/*
 * Specialized rows for KW = K, stride_w = S, dil_w = 1 (the MobileNet cases: K 3/5, S 1/2):
 * the 4 pixels of a quad read input columns j = 0 .. 3S+K-1 of each input row; each column
 * pointer is computed once per row (a zero vector where it falls into the padding) and
 * shared by the taps that read it, and the K taps are unrolled (weights at constant offsets).
 * About 3.5 wasm instructions per f32x4 multiply-accumulate instead of 5+ in the generic
 * quad above, whose per-tap pointer updates and loop control dominate.
 */
INLINE void quad_k(const int NV, const int WS, const int K, const int S, const int CHECKED, const DwParams* p,
                   const EpiV* ev, int oy, int ox, int np, int ky0, int ky1, int c0, const float* wb) {
  const int C = p->C, in_w = p->in_w;
  const v128_t b0 = wasm_v128_load(wb), b1 = NV > 1 ? wasm_v128_load(wb + 4) : b0;
  v128_t a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
  const int ix0 = ox * S - p->pl;
  const int iy0 = oy * p->sh - p->pt;
  for (int ky = ky0; ky < ky1; ky++) {
    const float* row = p->in + (iy0 + ky * p->dh) * in_w * C + c0;
    const float* wk = wb + WS * (1 + ky * K);
    const float* col[3 * S + K];
    for (int j = 0; j < 3 * S + K; j++) {
      const int ix = ix0 + j;
      col[j] = (!CHECKED || (unsigned)ix < (unsigned)in_w) ? row + ix * C : p->zero;
    }
    for (int kx = 0; kx < K; kx++) {
      const v128_t w0 = wasm_v128_load(wk + kx * WS), w1 = NV > 1 ? wasm_v128_load(wk + kx * WS + 4) : w0;
      DW_MAC(0, col[kx]);
      DW_MAC(1, col[S + kx]);
      DW_MAC(2, col[2 * S + kx]);
      DW_MAC(3, col[3 * S + kx]);
    }
  }
  float* dst = p->out + (oy * p->out_w + ox) * C + c0;
  switch (epi_key(&p->epi, 0)) {
#define DWK_STORE(A, F)                                                              \
  epi_store(A, F, ev, a00, dst, 0);                                                  \
  if (NV > 1) epi_store(A, F, ev, a01, dst + 4, 0);                                  \
  if (!CHECKED || np > 1) {                                                       \
    epi_store(A, F, ev, a10, dst + C, 0);                                            \
    if (NV > 1) epi_store(A, F, ev, a11, dst + C + 4, 0);                            \
  }                                                                               \
  if (!CHECKED || np > 2) {                                                       \
    epi_store(A, F, ev, a20, dst + 2 * C, 0);                                        \
    if (NV > 1) epi_store(A, F, ev, a21, dst + 2 * C + 4, 0);                        \
  }                                                                               \
  if (!CHECKED || np > 3) {                                                       \
    epi_store(A, F, ev, a30, dst + 3 * C, 0);                                        \
    if (NV > 1) epi_store(A, F, ev, a31, dst + 3 * C + 4, 0);                        \
  }
    EPI_CASES(DWK_STORE)
#undef DWK_STORE
  }
}

/* one output row of one channel block: quads touching the border (or past out_w) checked */
INLINE void row_k(const int NV, const int K, const int S, const DwParams* p, int oy, int ky0, int ky1, int c0,
                  const float* wb) {
  EpiV ev;
  epi_vectors(&p->epi, &ev);
  for (int ox = 0; ox < p->out_w; ox += 4) {
    const int np = p->out_w - ox < 4 ? p->out_w - ox : 4;
    const int ix0 = ox * S - p->pl;
    const int inside = np == 4 && ix0 >= 0 && ix0 + 3 * S + K <= p->in_w;
    if (inside) {
      quad_k(NV, 4 * NV, K, S, 0, p, &ev, oy, ox, 4, ky0, ky1, c0, wb);
    } else {
      quad_k(NV, 4 * NV, K, S, 1, p, &ev, oy, ox, np, ky0, ky1, c0, wb);
    }
  }
}

typedef void (*RowFn)(const DwParams* p, int oy, int ky0, int ky1, int c0, const float* wb);
#define DEF_ROW(NV, K, S)                                                                                         \
  static __attribute__((noinline)) void row_##NV##_##K##_##S(const DwParams* p, int oy, int ky0, int ky1, int c0, \
                                                             const float* wb) {                                   \
    row_k(NV, K, S, p, oy, ky0, ky1, c0, wb);                                                                     \
  }
DEF_ROW(1, 3, 1)
DEF_ROW(2, 3, 1)
DEF_ROW(1, 3, 2)
DEF_ROW(2, 3, 2)
DEF_ROW(1, 5, 1)
DEF_ROW(2, 5, 1)
DEF_ROW(1, 5, 2)
DEF_ROW(2, 5, 2)

static RowFn row_fn(int nv, int kw, int sw, int dw) {
  if (dw != 1) return 0;
  if (kw == 3 && sw == 1) return nv == 2 ? row_2_3_1 : row_1_3_1;
  if (kw == 3 && sw == 2) return nv == 2 ? row_2_3_2 : row_1_3_2;
  if (kw == 5 && sw == 1) return nv == 2 ? row_2_5_1 : row_1_5_1;
  if (kw == 5 && sw == 2) return nv == 2 ? row_2_5_2 : row_1_5_2;
  return 0;
}

static int ceil_div_pos(int a, int b) { return a <= 0 ? 0 : (a + b - 1) / b; }

/* Output rows [r0, r1) (a thread's share; depthwise() is the whole range). */
EXPORT void depthwise_rows(const DwParams* p, int r0, int r1) {
  const int T = p->kh * p->kw;
  const int span_x = (p->kw - 1) * p->dw;
  /* output columns whose taps are all inside the input: [x0, x1) */
  int x0 = ceil_div_pos(p->pl, p->sw);
  int last = p->in_w - 1 + p->pl - span_x; /* ox*sw <= last */
  int x1 = last < 0 ? 0 : last / p->sw + 1;
  if (x1 > p->out_w) x1 = p->out_w;
  if (x0 > x1) x0 = x1;
  for (int oy = r0; oy < r1; oy++) {
    const int iy0 = oy * p->sh - p->pt;
    const int ky0 = ceil_div_pos(-iy0, p->dh);
    int ky1 = p->in_h - 1 - iy0 < 0 ? 0 : (p->in_h - 1 - iy0) / p->dh + 1;
    if (ky1 > p->kh) ky1 = p->kh;
    for (int c0 = 0; c0 < p->C; c0 += 8) {
      const float* wb = p->w + c0 * (T + 1);
      const int nv = p->C - c0 >= 8 ? 2 : 1;
      const RowFn rf = row_fn(nv, p->kw, p->sw, p->dw);
      if (rf) {
        rf(p, oy, ky0, ky1, c0, wb);
        continue;
      }
      for (int ox = 0; ox < p->out_w; ox += 4) {
        const int np = p->out_w - ox < 4 ? p->out_w - ox : 4;
        const int inside = ox >= x0 && ox + np <= x1;
        if (nv == 2) {
          if (inside) quad_2_0(p, oy, ox, np, ky0, ky1, c0, wb);
          else quad_2_1(p, oy, ox, np, ky0, ky1, c0, wb);
        } else {
          if (inside) quad_1_0(p, oy, ox, np, ky0, ky1, c0, wb);
          else quad_1_1(p, oy, ox, np, ky0, ky1, c0, wb);
        }
      }
    }
  }
}

EXPORT void depthwise(const DwParams* p) { depthwise_rows(p, 0, p->out_h); }
