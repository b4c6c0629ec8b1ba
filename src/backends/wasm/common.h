/*
 * Shared helpers for the WebAssembly SIMD kernels (compiled by scripts/build_wasm.mjs with
 * clang --target=wasm32 -O3 -msimd128 -mbulk-memory, no libc).
 *
 * Conventions (same as the WGSL kernels and their TypeScript twins):
 * - activations are NHWC f32 with channels padded to a multiple of 4 (the padded lanes are 0);
 * - every kernel takes ONE pointer to a parameter block that the executor writes once at load
 *   (src/graph/wasm_params.ts mirrors each struct below field by field: all fields are 4 bytes);
 * - weights were repacked at load (src/backends/wasm/pack.ts) into the layout each kernel reads.
 * Baseline wasm SIMD has no FMA, so a multiply-accumulate is f32x4.mul + f32x4.add; the
 * relaxed builds (-DWASM_RELAXED=1 -mrelaxed-simd, clang >= 16) use f32x4.relaxed_madd, which
 * the engine lowers to a fused multiply-add where the CPU has one (VMAC below).
 */
#pragma once
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))

/* acc + x * w: the inner loop of every conv kernel */
#if WASM_RELAXED
#define VMAC(acc, x, w) ((v128_t)__builtin_wasm_relaxed_madd_f32x4((__f32x4)(x), (__f32x4)(w), (__f32x4)(acc)))
#else
#define VMAC(acc, x, w) wasm_f32x4_add((acc), wasm_f32x4_mul((x), (w)))
#endif
#define INLINE static inline __attribute__((always_inline))

/* ACT codes: src/kernels/spec.ts ACT_CODES */
enum { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_HSWISH = 3, ACT_HSIGMOID = 4, ACT_SIGMOID = 5 };

/* The fused epilogue of a conv: act, then clamp, then (+ residual, then post clamp). */
typedef struct {
  int32_t act;
  int32_t has_clamp; /* 0 when [lo, hi] is the whole f32 range: skip the two ops */
  float lo, hi;
  int32_t has_post;
  float post_lo, post_hi;
} Epi;

/* pointwise (gemm.c); also fc1 / fc2 of squeeze_excite (misc.c) with M = 1 */
typedef struct {
  int32_t M, K, N;    /* pixels, input channels (padded to 4), output channels (padded to 4) */
  const float* in;    /* [M][K] */
  const float* w;     /* packed, see gemm.c */
  const float* scale; /* [K] or 0 */
  const float* res;   /* [M][N] or 0 */
  float* out;         /* [M][N] */
  float* scratch;     /* SE prologue: pointwise_scratch_floats(M, K, N, scale_clamp) */
  Epi epi;
  /* SE prologue clamp: x = clamp(in * scale, scale_lo, scale_hi) (a quantized gate's range) */
  int32_t scale_clamp;
  float scale_lo, scale_hi;
} PwParams;
void pointwise(const PwParams* p);

/* pmin/pmax map to one minps/maxps on x86 (f32x4.min/max need NaN fix-ups). */
INLINE v128_t vmax(v128_t a, v128_t b) { return wasm_f32x4_pmax(a, b); }
INLINE v128_t vmin(v128_t a, v128_t b) { return wasm_f32x4_pmin(a, b); }

/* exp(x) for f32x4: Cephes expf (range reduction by ln2 split in two, degree-5 polynomial), ~1 ulp. */
INLINE v128_t vexp(v128_t x) {
  x = vmin(vmax(x, wasm_f32x4_splat(-87.0f)), wasm_f32x4_splat(88.0f));
  const v128_t magic = wasm_f32x4_splat(12582912.0f); /* 1.5 * 2^23: adding it rounds to an integer */
  v128_t t = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)), magic);
  v128_t n = wasm_f32x4_sub(t, magic);
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), wasm_f32x4_add(r, wasm_f32x4_splat(1.0f)));
  /* 2^n: the integer n sits in the low mantissa bits of t */
  v128_t e = wasm_i32x4_shl(wasm_i32x4_sub(t, wasm_i32x4_splat(0x4B400000 - 127)), 23);
  return wasm_f32x4_mul(p, e);
}

INLINE v128_t vact(int32_t act, v128_t x) {
  const v128_t zero = wasm_f32x4_const_splat(0.0f);
  const v128_t three = wasm_f32x4_const_splat(3.0f);
  const v128_t six = wasm_f32x4_const_splat(6.0f);
  const v128_t sixth = wasm_f32x4_const_splat(1.0f / 6.0f);
  switch (act) {
    case ACT_RELU:
      return vmax(x, zero);
    case ACT_RELU6:
      return vmin(vmax(x, zero), six);
    case ACT_HSWISH:
      return wasm_f32x4_mul(wasm_f32x4_mul(x, vmin(vmax(wasm_f32x4_add(x, three), zero), six)), sixth);
    case ACT_HSIGMOID:
      return wasm_f32x4_mul(vmin(vmax(wasm_f32x4_add(x, three), zero), six), sixth);
    case ACT_SIGMOID: {
      /* |x| <= 80: exp(-80) = 1.8e-35 is still a normal float (at -87 vexp's result can be
         subnormal, and subnormal operands cost x86 ~100 cycles each: a sigmoid mask head on
         confident pixels ran 25% slower); sigmoid(+-80) rounds to 1 / 1.8e-35 either way */
      const v128_t one = wasm_f32x4_const_splat(1.0f);
      const v128_t b = wasm_f32x4_const_splat(80.0f);
      return wasm_f32x4_div(one, wasm_f32x4_add(one, vexp(wasm_f32x4_neg(vmin(vmax(x, wasm_f32x4_neg(b)), b)))));
    }
    default:
      return x;
  }
}

/* act + clamp, for kernels without a residual */
INLINE v128_t vact_clamp(const Epi* e, v128_t x) {
  x = vact(e->act, x);
  if (e->has_clamp) x = vmin(vmax(x, wasm_f32x4_splat(e->lo)), wasm_f32x4_splat(e->hi));
  return x;
}

/*
 * The conv epilogue, one f32x4 at a time: act (A is a constant at each call site, so the
 * switch in vact folds away), clamp, + residual, post clamp, store. Kernels keep their
 * accumulators in named variables (not arrays: clang sometimes leaves arrays on the shadow
 * stack in linear memory, 2-3x slower) and expand their stores once per activation with
 * EPI_CASES inside a `switch (epi_key(...))`, so there is one branch per tile, not per vector.
 */
typedef struct {
  v128_t lo, hi, post_lo, post_hi;
  int32_t act, has_clamp, has_post;
} EpiV;

INLINE void epi_vectors(const Epi* e, EpiV* v) {
  v->lo = wasm_f32x4_splat(e->lo);
  v->hi = wasm_f32x4_splat(e->hi);
  v->post_lo = wasm_f32x4_splat(e->post_lo);
  v->post_hi = wasm_f32x4_splat(e->post_hi);
  v->act = e->act;
  v->has_clamp = e->has_clamp;
  v->has_post = e->has_post;
}

/*
 * F (a constant at each call site): 0 = act only; 1 = act + residual; 2 = everything with
 * runtime checks (clamp, residual, post clamp) and the act A = -1 chosen at run time.
 * Specializing the common cases keeps flag tests out of the per-vector code (V8 keeps the
 * flags on the stack and re-tests them each time); the rare ones share one generic path to
 * keep the module small.
 */
INLINE void epi_store(const int A, const int F, const EpiV* v, v128_t x, float* dst, const float* res) {
  x = vact(A >= 0 ? A : v->act, x);
  if (F == 2 && v->has_clamp) x = vmin(vmax(x, v->lo), v->hi);
  if (F == 1 || (F == 2 && res)) x = wasm_f32x4_add(x, wasm_v128_load(res));
  if (F == 2 && v->has_post) x = vmin(vmax(x, v->post_lo), v->post_hi);
  wasm_v128_store(dst, x);
}

/* the `switch` key for EPI_CASES */
INLINE int epi_key(const Epi* e, const void* res) {
  if (!e->has_clamp && !e->has_post && e->act != ACT_SIGMOID) {
    if (!res) return e->act;
    if (e->act == ACT_NONE) return 6;
  }
  return 7;
}

/* switch (epi_key(...)) { EPI_CASES(M) }: M(A, F) expands the stores for act A, flags F */
#define EPI_CASES(M)                    \
  case 0: { M(ACT_NONE, 0) } break;     \
  case 1: { M(ACT_RELU, 0) } break;     \
  case 2: { M(ACT_RELU6, 0) } break;    \
  case 3: { M(ACT_HSWISH, 0) } break;   \
  case 4: { M(ACT_HSIGMOID, 0) } break; \
  case 6: { M(ACT_NONE, 1) } break;     \
  default: { M(-1, 2) } break;
