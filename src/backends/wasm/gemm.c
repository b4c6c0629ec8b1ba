/*
 * pointwise (1x1 conv / fully connected) as a packed, register-blocked GEMM over NHWC:
 *   out[p][n] = epilogue(bias[n] + sum_k in[p][k] * scale[k] * W[k][n])
 * with the fused SE-scale prologue (scale), and act, clamp, residual add, post clamp epilogue.
 *
 * Packed weights (wasm_pack.ts packGemmWasm): output channels in panels of NR = 8 (the
 * last panel is 4 wide when N % 8 == 4); panel p starts at float p * 8 * (K + 1) and holds
 * [bias: nr][k = 0: nr weights][k = 1: nr]...[k = K-1: nr].
 *
 * Microkernel: MR = 4 pixels x NR = 8 channels, 8 f32x4 accumulators; per k one load32_splat
 * per pixel and two weight loads. Measured in Node 20 / V8 on the 2-core AMD EPYC (Zen 3) dev
 * box (GFLOP/s, layers of MobileNetV3-Large): 4x8 loadsplat 32-35, 2x16 31-34, 6x8 23-25,
 * 5x8 21-22, 3x12 18-23, 6x8 with a vec4 load + 4 shuffles ("splat") 23-25, K unrolled by 4
 * 19-22. 4x8 reaches the machine's measured mul+add peak (33 GFLOP/s on a register-only
 * loop); the larger tiles lose to spills in V8's register allocator (16 xmm, one reserved).
 * Pixel tiles (4 rows) are the outer loop and panels the inner one, so each output row is
 * finished while hot; panels are blocked so their weights stay in L2 (W_BLOCK_BYTES).
 */
#include "common.h"


#define MR_MAX 4

/* row i (0..3), vector j (0..1) of the tile: c{i}{j} += a{i} * w{j} */
#define GEMM_ROW(i)                                                     \
  if (MR > i) {                                                         \
    const v128_t x = wasm_v128_load32_splat(a##i + k);                  \
    c##i##0 = VMAC(c##i##0, x, w0);           \
    if (NV > 1) c##i##1 = VMAC(c##i##1, x, w1); \
  }

#define GEMM_STORE_ROW(A, F, i)                                                             \
  if (MR > i) {                                                                             \
    epi_store(A, F, &ev, c##i##0, c + i * ldc, res ? res + i * ldc : 0);                    \
    if (NV > 1) epi_store(A, F, &ev, c##i##1, c + i * ldc + 4, res ? res + i * ldc + 4 : 0); \
  }
#define GEMM_STORE(A, F) GEMM_STORE_ROW(A, F, 0) GEMM_STORE_ROW(A, F, 1) GEMM_STORE_ROW(A, F, 2) GEMM_STORE_ROW(A, F, 3)

/* One MR x (4*NV) tile: accumulators start at the bias, K >= 1. */
INLINE void tile(const int MR, const int NV, int K, const float* a, int lda, const float* w, float* c, int ldc,
                 const float* res, const Epi* e) {
  const v128_t b0 = wasm_v128_load(w), b1 = NV > 1 ? wasm_v128_load(w + 4) : b0;
  v128_t c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
  const float* a0 = a;
  const float* a1 = a + (MR > 1 ? lda : 0);
  const float* a2 = a + (MR > 2 ? 2 * lda : 0);
  const float* a3 = a + (MR > 3 ? 3 * lda : 0);
  w += 4 * NV;
  int k = 0;
  do {
    const v128_t w0 = wasm_v128_load(w), w1 = NV > 1 ? wasm_v128_load(w + 4) : w0;
    w += 4 * NV;
    GEMM_ROW(0)
    GEMM_ROW(1)
    GEMM_ROW(2)
    GEMM_ROW(3)
  } while (++k < K);
  EpiV ev;
  epi_vectors(e, &ev);
  switch (epi_key(e, res)) { EPI_CASES(GEMM_STORE) }
}

/* MR rows x panels [p0, p1) (the last may be 4 wide): one call per row block, not per tile */
INLINE void rows(const int MR, int p0, int p1, int K, int N, const float* a, const float* w, float* c,
                 const float* res, const Epi* e) {
  const int panel_floats = 8 * (K + 1);
  for (int p = p0; p < p1; p++) {
    const int n = p << 3;
    if (N - n >= 8) tile(MR, 2, K, a, K, w + p * panel_floats, c + n, N, res ? res + n : 0, e);
    else tile(MR, 1, K, a, K, w + p * panel_floats, c + n, N, res ? res + n : 0, e);
  }
}

typedef void (*RowsFn)(int p0, int p1, int K, int N, const float* a, const float* w, float* c, const float* res, const Epi* e);
#define DEF_ROWS(MR)                                                                                                   \
  static __attribute__((noinline)) void rows_##MR(int p0, int p1, int K, int N, const float* a, const float* w, float* c, \
                                                  const float* res, const Epi* e) {                                     \
    rows(MR, p0, p1, K, N, a, w, c, res, e);                                                                           \
  }
DEF_ROWS(1)
DEF_ROWS(2)
DEF_ROWS(3)
DEF_ROWS(4)
static const RowsFn ROWS[MR_MAX + 1] = {0, rows_1, rows_2, rows_3, rows_4};

/* Weights of a block of panels up to this many bytes stay in L2 while the pixel tiles stream. */
#define W_BLOCK_BYTES (192 * 1024)

static void gemm(int M, int K, int N, const float* a, const float* w, const float* res, float* c, const Epi* e) {
  const int panels = (N + 7) >> 3;
  int block = W_BLOCK_BYTES / (8 * (K + 1) * 4);
  if (block < 1) block = 1;
  for (int p0 = 0; p0 < panels; p0 += block) {
    const int p1 = p0 + block < panels ? p0 + block : panels;
    for (int m = 0; m < M; m += MR_MAX) {
      const int mr = M - m < MR_MAX ? M - m : MR_MAX;
      ROWS[mr](p0, p1, K, N, a + m * K, w, c + m * N, res ? res + m * N : 0, e);
    }
  }
}

/* scratch[k-rows of every panel] = w * scale[k] (bias copied): the SE prologue folded into W */
static void scale_weights(int K, int N, const float* w, const float* s, float* dst) {
  const int panels = (N + 7) >> 3;
  for (int p = 0; p < panels; p++) {
    const int nr = N - (p << 3) >= 8 ? 8 : 4;
    const float* src = w + p * 8 * (K + 1);
    float* d = dst + p * 8 * (K + 1);
    for (int j = 0; j < nr; j += 4) wasm_v128_store(d + j, wasm_v128_load(src + j));
    src += nr;
    d += nr;
    for (int k = 0; k < K; k++) {
      v128_t sk = wasm_v128_load32_splat(s + k);
      for (int j = 0; j < nr; j += 4) wasm_v128_store(d + j, wasm_f32x4_mul(wasm_v128_load(src + j), sk));
      src += nr;
      d += nr;
    }
  }
}

/* scratch[p][k] = in[p][k] * scale[k], clamped to [lo, hi] when `clamp` */
static void scale_input(int M, int K, const float* in, const float* s, float* dst, int clamp, float lo, float hi) {
  const v128_t vlo = wasm_f32x4_splat(lo), vhi = wasm_f32x4_splat(hi);
  for (int p = 0; p < M; p++)
    for (int k = 0; k < K; k += 4) {
      v128_t x = wasm_f32x4_mul(wasm_v128_load(in + p * K + k), wasm_v128_load(s + k));
      if (clamp) x = vmin(vmax(x, vlo), vhi);
      wasm_v128_store(dst + p * K + k, x);
    }
}

/* Which operand the SE scale is folded into: the input rows (1) or the weights (0). */
INLINE int scale_into_input(const PwParams* p) { return p->M <= p->N || p->scale_clamp; }

/* Threaded runs: the part of the SE prologue that is shared by every row (the scaled weights),
   done once before the rows are split; nothing to do otherwise. */
EXPORT void pointwise_prep(const PwParams* p) {
  if (p->scale && !scale_into_input(p)) scale_weights(p->K, p->N, p->w, p->scale, p->scratch);
}

/* Pixel rows [m0, m1) after pointwise_prep (a thread's share). */
EXPORT void pointwise_rows(const PwParams* p, int m0, int m1) {
  const int K = p->K, N = p->N, M = m1 - m0;
  const float* in = p->in + m0 * K;
  const float* w = p->w;
  if (p->scale) {
    if (scale_into_input(p)) {
      float* dst = p->scratch + m0 * K;
      scale_input(M, K, in, p->scale, dst, p->scale_clamp, p->scale_lo, p->scale_hi);
      in = dst;
    } else {
      w = p->scratch;
    }
  }
  gemm(M, K, N, in, w, p->res ? p->res + m0 * N : 0, p->out + m0 * N, &p->epi);
}

EXPORT void pointwise(const PwParams* p) {
  pointwise_prep(p);
  pointwise_rows(p, 0, p->M);
}

/* Scratch floats pointwise() needs for an SE-scaled layer of this shape. */
EXPORT int pointwise_scratch_floats(int M, int K, int N, int scale_clamp) {
  return M <= N || scale_clamp ? M * K : ((N + 7) >> 3) * 8 * (K + 1);
}
