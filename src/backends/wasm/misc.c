/*
 * The small kernels: global average pool, squeeze-excite (pool -> fc1 + act1 -> fc2 + act2,
 * the output being the per-channel scale), and elementwise (act / add / channel scale, each
 * + act + clamp). fc1 / fc2 use the pointwise GEMM (gemm.c) with M = 1 on its packed layout.
 */
#include "common.h"


typedef struct {
  int32_t pixels, C;
  const float* in;
  float* out;
} PoolParams;

/* out[c] = mean over pixels of in[p][c]; 4 vectors (16 channels) per pass for ILP */
static void mean_pool(int pixels, int C, const float* in, float* out) {
  const v128_t n = wasm_f32x4_splat((float)pixels);
  int c = 0;
  for (; c + 16 <= C; c += 16) {
    v128_t s0 = wasm_f32x4_const_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
    const float* x = in + c;
    for (int p = 0; p < pixels; p++, x += C) {
      s0 = wasm_f32x4_add(s0, wasm_v128_load(x));
      s1 = wasm_f32x4_add(s1, wasm_v128_load(x + 4));
      s2 = wasm_f32x4_add(s2, wasm_v128_load(x + 8));
      s3 = wasm_f32x4_add(s3, wasm_v128_load(x + 12));
    }
    wasm_v128_store(out + c, wasm_f32x4_div(s0, n));
    wasm_v128_store(out + c + 4, wasm_f32x4_div(s1, n));
    wasm_v128_store(out + c + 8, wasm_f32x4_div(s2, n));
    wasm_v128_store(out + c + 12, wasm_f32x4_div(s3, n));
  }
  for (; c < C; c += 4) {
    v128_t s0 = wasm_f32x4_const_splat(0.0f);
    const float* x = in + c;
    for (int p = 0; p < pixels; p++, x += C) s0 = wasm_f32x4_add(s0, wasm_v128_load(x));
    wasm_v128_store(out + c, wasm_f32x4_div(s0, n));
  }
}

EXPORT void global_pool(const PoolParams* p) { mean_pool(p->pixels, p->C, p->in, p->out); }

typedef struct {
  int32_t pixels, C, S; /* channels and squeeze channels, both padded to 4 */
  const float* in;
  float* out;     /* [C] scale */
  float* pooled;  /* scratch [C] */
  float* hidden;  /* scratch [S] */
  PwParams fc1;   /* M=1, K=C, N=S, in=pooled, out=hidden, act1 + fc1 clamp (filled by the executor) */
  PwParams fc2;   /* M=1, K=S, N=C, in=hidden, out=out, act2 + fc2 clamp */
  int32_t pool_clamp; /* pooled = clamp(mean, pool_lo, pool_hi): a quantized model's range */
  float pool_lo, pool_hi;
} SeParams;

EXPORT void squeeze_excite(const SeParams* p) {
  mean_pool(p->pixels, p->C, p->in, p->pooled);
  if (p->pool_clamp) {
    const v128_t lo = wasm_f32x4_splat(p->pool_lo), hi = wasm_f32x4_splat(p->pool_hi);
    for (int c = 0; c < p->C; c += 4) wasm_v128_store(p->pooled + c, vmin(vmax(wasm_v128_load(p->pooled + c), lo), hi));
  }
  pointwise(&p->fc1);
  pointwise(&p->fc2);
}

/* ELEMENTWISE_OPS: src/kernels/spec.ts */
enum { OP_ACT = 0, OP_ADD = 1, OP_CHANNEL_SCALE = 2 };

typedef struct {
  int32_t count4, C, op;
  const float* a;
  const float* b;
  float* out;
  Epi epi;
} EwParams;

EXPORT void elementwise(const EwParams* p) {
  const int n = p->count4 * 4;
  const float* a = p->a;
  const float* b = p->b;
  float* o = p->out;
  switch (p->op) {
    case OP_ADD:
      for (int k = 0; k < n; k += 4) wasm_v128_store(o + k, vact_clamp(&p->epi, wasm_f32x4_add(wasm_v128_load(a + k), wasm_v128_load(b + k))));
      break;
    case OP_CHANNEL_SCALE:
      for (int k = 0, c = 0; k < n; k += 4) {
        wasm_v128_store(o + k, vact_clamp(&p->epi, wasm_f32x4_mul(wasm_v128_load(a + k), wasm_v128_load(b + c))));
        c += 4;
        if (c == p->C) c = 0;
      }
      break;
    default:
      for (int k = 0; k < n; k += 4) wasm_v128_store(o + k, vact_clamp(&p->epi, wasm_v128_load(a + k)));
      break;
  }
}

/* the model input: unpadded NHWC [pixels][c] -> channels padded to cp (a multiple of 4) with
   zero lanes (Model.run writes the caller's array to `in` with one memcpy; this was a JS loop
   that cost chromium ~0.7 ms per 224x224 frame) */
EXPORT void pad_input(const float* in, float* out, int pixels, int c, int cp) {
  if (c == 3 && cp == 4) {
    for (int p = 0; p < pixels; p++) {
      out[4 * p] = in[3 * p];
      out[4 * p + 1] = in[3 * p + 1];
      out[4 * p + 2] = in[3 * p + 2];
      out[4 * p + 3] = 0.0f;
    }
    return;
  }
  for (int p = 0; p < pixels; p++)
    for (int k = 0; k < cp; k++) out[p * cp + k] = k < c ? in[p * c + k] : 0.0f;
}
