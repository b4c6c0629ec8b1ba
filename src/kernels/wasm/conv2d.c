/*
 * conv2d: dense (groups = 1) KHxKW convolution over NHWC (e.g. the stem), + act + clamp, as an
 * indirect GEMM: for a tile of MR = 4 output pixels, each tap gives each pixel a pointer to
 * its input pixel (or to a zero row when the tap falls into the padding); the K loop then
 * runs over taps x input channels with the same 4x8 register tile as pointwise.
 *
 * Packed weights (wasm_pack.ts packConv2dWasm): output channels in panels of 8 (the last one
 * 4 wide when OC % 8 == 4); panel p starts at float p * 8 * (KH*KW*IC + 1) and holds
 * [bias: nr][tap 0: ic 0: nr]...[tap 0: ic IC-1: nr][tap 1: ...].
 */
#include "common.h"

typedef struct {
  int32_t in_h, in_w, IC, out_h, out_w, OC;
  int32_t sh, sw, dh, dw, pt, pl, kh, kw;
  const float* in;
  const float* w;
  float* out;
  const float* zero; /* >= IC zero floats */
  Epi epi;
} ConvParams;

#define MR 4
#define MAX_TAPS 49

#define CONV_ROW(i)                                                     \
  {                                                                     \
    const v128_t x = wasm_v128_load32_splat(a##i + k);                  \
    c##i##0 = wasm_f32x4_add(c##i##0, wasm_f32x4_mul(x, w0));           \
    if (NV > 1) c##i##1 = wasm_f32x4_add(c##i##1, wasm_f32x4_mul(x, w1)); \
  }
#define CONV_STORE_ROW(A, i)                              \
  epi_store(A, &ev, c##i##0, c + i * ldc, 0);             \
  if (NV > 1) epi_store(A, &ev, c##i##1, c + i * ldc + 4, 0);
#define CONV_STORE(A) CONV_STORE_ROW(A, 0) CONV_STORE_ROW(A, 1) CONV_STORE_ROW(A, 2) CONV_STORE_ROW(A, 3)

/* 4 pixels x (4*NV) channels; pixel i's tap t input is ptrs[i*MAX_TAPS + t] */
INLINE void ctile(const int NV, int T, int IC, const float* const* ptrs, const float* w, float* c, int ldc, const Epi* e) {
  const v128_t b0 = wasm_v128_load(w), b1 = NV > 1 ? wasm_v128_load(w + 4) : b0;
  v128_t c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
  w += 4 * NV;
  for (int t = 0; t < T; t++) {
    const float* a0 = ptrs[t];
    const float* a1 = ptrs[MAX_TAPS + t];
    const float* a2 = ptrs[2 * MAX_TAPS + t];
    const float* a3 = ptrs[3 * MAX_TAPS + t];
    int k = 0;
    do {
      const v128_t w0 = wasm_v128_load(w), w1 = NV > 1 ? wasm_v128_load(w + 4) : w0;
      w += 4 * NV;
      CONV_ROW(0)
      CONV_ROW(1)
      CONV_ROW(2)
      CONV_ROW(3)
    } while (++k < IC);
  }
  EpiV ev;
  epi_vectors(e, &ev);
  switch (e->act) { ACT_CASES(CONV_STORE) }
}

static __attribute__((noinline)) void ctile_1(int T, int IC, const float* const* ptrs, const float* w, float* c, int ldc, const Epi* e) {
  ctile(1, T, IC, ptrs, w, c, ldc, e);
}
static __attribute__((noinline)) void ctile_2(int T, int IC, const float* const* ptrs, const float* w, float* c, int ldc, const Epi* e) {
  ctile(2, T, IC, ptrs, w, c, ldc, e);
}

EXPORT void conv2d(const ConvParams* p) {
  const int T = p->kh * p->kw;
  const int P = p->out_h * p->out_w;
  const int panel_floats = 8 * (T * p->IC + 1);
  const float* ptrs[MR * MAX_TAPS];
  float tmp[MR * 8] __attribute__((aligned(16)));
  for (int m = 0; m < P; m += MR) {
    const int mr = P - m < MR ? P - m : MR;
    for (int i = 0; i < MR; i++) {
      const int pix = m + (i < mr ? i : mr - 1);
      const int oy = pix / p->out_w, ox = pix % p->out_w;
      for (int ky = 0; ky < p->kh; ky++) {
        const int iy = oy * p->sh - p->pt + ky * p->dh;
        for (int kx = 0; kx < p->kw; kx++) {
          const int ix = ox * p->sw - p->pl + kx * p->dw;
          const int ok = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
          ptrs[i * MAX_TAPS + ky * p->kw + kx] = ok ? p->in + (iy * p->in_w + ix) * p->IC : p->zero;
        }
      }
    }
    for (int n = 0; n < p->OC; n += 8) {
      const float* w = p->w + (n >> 3) * panel_floats;
      const int nv = p->OC - n >= 8 ? 2 : 1;
      if (mr == MR) {
        float* c = p->out + m * p->OC + n;
        if (nv == 2) ctile_2(T, p->IC, ptrs, w, c, p->OC, &p->epi);
        else ctile_1(T, p->IC, ptrs, w, c, p->OC, &p->epi);
      } else {
        /* last partial tile: rows past mr duplicate pixel mr-1; compute into tmp, copy mr rows */
        if (nv == 2) ctile_2(T, p->IC, ptrs, w, tmp, 8, &p->epi);
        else ctile_1(T, p->IC, ptrs, w, tmp, 8, &p->epi);
        for (int i = 0; i < mr; i++)
          for (int j = 0; j < 4 * nv; j += 4) wasm_v128_store(p->out + (m + i) * p->OC + n + j, wasm_v128_load(tmp + i * 8 + j));
      }
    }
  }
}
