/*
 * conv2d: dense (groups = 1) KHxKW convolution over NHWC (e.g. the stem), + act + clamp, as an
 * implicit GEMM: a tile is 4 adjacent output pixels of a row x 8 output channels; each tap
 * gives each pixel a pointer to its input pixel (a zero row where the tap falls into the
 * padding) and the K loop runs over taps x input channels with the same 4x8 register tile
 * (load32_splat of the input, two weight vectors) as pointwise. Rows of taps outside the
 * input are skipped, so only quads at the left/right border need per-pixel checks.
 *
 * Packed weights (wasm_pack.ts packConv2dWasm): output channels in panels of 8 (the last one
 * 4 wide when OC % 8 == 4); panel p starts at float p * 8 * (KH*KW*IC + 1) and holds
 * [bias: nr][tap 0: ic 0: nr]...[tap 0: ic ICU-1: nr][tap 1: ...] (only the ICU real channels).
 */
#include "common.h"

typedef struct {
  /* IC: input channels (padded to 4, the pixel stride); ICU: the first ICU of them are real
     (e.g. 3 for RGB): the padded ones are zero in the input and the weights, so skipped */
  int32_t in_h, in_w, IC, ICU, out_h, out_w, OC;
  int32_t sh, sw, dh, dw, pt, pl, kh, kw;
  const float* in;
  const float* w;
  float* out;
  const float* zero; /* >= IC zero floats */
  Epi epi;
} ConvParams;

#define CONV_ROW(i)                                                     \
  {                                                                     \
    const v128_t x = wasm_v128_load32_splat(a##i + k);                  \
    c##i##0 = VMAC(c##i##0, x, w0);           \
    if (NV > 1) c##i##1 = VMAC(c##i##1, x, w1); \
  }
#define CONV_STORE_ROW(A, F, i)                                  \
  if (!CHECKED || np > i) {                                      \
    epi_store(A, F, &ev, c##i##0, c + i * OC, 0);                \
    if (NV > 1) epi_store(A, F, &ev, c##i##1, c + i * OC + 4, 0); \
  }
#define CONV_STORE(A, F) CONV_STORE_ROW(A, F, 0) CONV_STORE_ROW(A, F, 1) CONV_STORE_ROW(A, F, 2) CONV_STORE_ROW(A, F, 3)

/*
 * Output pixels ox .. ox+np-1 (np <= 4) of row oy, output channels n .. n+4*NV-1. CHECKED:
 * some taps of the quad fall outside the input columns (or np < 4): those pixels read a
 * zero row. Rows outside the input are skipped ([ky0, ky1)).
 */
INLINE void quad(const int NV, const int ICK, const int CHECKED, const ConvParams* p, int oy, int ox, int np, int ky0,
                 int ky1, const float* w, int n) {
  /* ICK: the K loop length when known at compile time (3), else 0 */
  const int IC = p->IC, ICU = ICK ? ICK : p->ICU, OC = p->OC, in_w = p->in_w, kw = p->kw;
  const v128_t b0 = wasm_v128_load(w), b1 = NV > 1 ? wasm_v128_load(w + 4) : b0;
  v128_t c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
  const int ix0 = ox * p->sw - p->pl, iy0 = oy * p->sh - p->pt;
  const int nr = 4 * NV;
  w += nr + ky0 * kw * ICU * nr;
  for (int ky = ky0; ky < ky1; ky++) {
    const float* row = p->in + (iy0 + ky * p->dh) * in_w * IC;
    for (int kx = 0; kx < kw; kx++) {
      const int ix = ix0 + kx * p->dw;
      const float* a0 = row + ix * IC;
      const float* a1 = a0 + p->sw * IC;
      const float* a2 = a1 + p->sw * IC;
      const float* a3 = a2 + p->sw * IC;
      if (CHECKED) {
        const int s = p->sw;
        if ((unsigned)ix >= (unsigned)in_w) a0 = p->zero;
        if (np <= 1 || (unsigned)(ix + s) >= (unsigned)in_w) a1 = p->zero;
        if (np <= 2 || (unsigned)(ix + 2 * s) >= (unsigned)in_w) a2 = p->zero;
        if (np <= 3 || (unsigned)(ix + 3 * s) >= (unsigned)in_w) a3 = p->zero;
      }
      int k = 0;
      do {
        const v128_t w0 = wasm_v128_load(w), w1 = NV > 1 ? wasm_v128_load(w + 4) : w0;
        w += nr;
        CONV_ROW(0)
        CONV_ROW(1)
        CONV_ROW(2)
        CONV_ROW(3)
      } while (++k < ICU);
    }
  }
  EpiV ev;
  epi_vectors(&p->epi, &ev);
  float* c = p->out + (oy * p->out_w + ox) * OC + n;
  switch (epi_key(&p->epi, 0)) { EPI_CASES(CONV_STORE) }
}

/* one output row x one panel of 8 (NV = 2) or 4 (NV = 1) output channels */
INLINE void row(const int NV, const int ICK, const ConvParams* p, int oy, int ky0, int ky1, const float* w, int n) {
  const int span = (p->kw - 1) * p->dw;
  for (int ox = 0; ox < p->out_w; ox += 4) {
    const int np = p->out_w - ox < 4 ? p->out_w - ox : 4;
    const int ix0 = ox * p->sw - p->pl;
    if (np == 4 && ix0 >= 0 && ix0 + 3 * p->sw + span < p->in_w) quad(NV, ICK, 0, p, oy, ox, 4, ky0, ky1, w, n);
    else quad(NV, ICK, 1, p, oy, ox, np, ky0, ky1, w, n);
  }
}

typedef void (*RowFn)(const ConvParams* p, int oy, int ky0, int ky1, const float* w, int n);
#define DEF_ROW(NV, ICK)                                                                                         \
  static __attribute__((noinline)) void row_##NV##_##ICK(const ConvParams* p, int oy, int ky0, int ky1, const float* w, \
                                                         int n) {                                                 \
    row(NV, ICK, p, oy, ky0, ky1, w, n);                                                                          \
  }
DEF_ROW(1, 0)
DEF_ROW(2, 0)
DEF_ROW(1, 3)
DEF_ROW(2, 3)

static int ceil_div_pos(int a, int b) { return a <= 0 ? 0 : (a + b - 1) / b; }

/* Output rows [y0, y1) (a thread's share; conv2d() is the whole range). */
EXPORT void conv2d_rows(const ConvParams* p, int y0, int y1) {
  const int panel_floats = 8 * (p->kh * p->kw * p->ICU + 1);
  /* the RGB stem (3 real channels) gets a fully unrolled K loop: 18.5 vs 16 GFLOP/s */
  const RowFn r1 = p->ICU == 3 ? row_1_3 : row_1_0;
  const RowFn r2 = p->ICU == 3 ? row_2_3 : row_2_0;
  for (int oy = y0; oy < y1; oy++) {
    const int iy0 = oy * p->sh - p->pt;
    const int ky0 = ceil_div_pos(-iy0, p->dh);
    int ky1 = p->in_h - 1 - iy0 < 0 ? 0 : (p->in_h - 1 - iy0) / p->dh + 1;
    if (ky1 > p->kh) ky1 = p->kh;
    for (int n = 0; n < p->OC; n += 8) {
      const float* w = p->w + (n >> 3) * panel_floats;
      if (p->OC - n >= 8) r2(p, oy, ky0, ky1, w, n);
      else r1(p, oy, ky0, ky1, w, n);
    }
  }
}

EXPORT void conv2d(const ConvParams* p) { conv2d_rows(p, 0, p->out_h); }
