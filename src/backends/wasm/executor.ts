/**
 * WebAssembly SIMD executor: runs a Plan with the C kernels of src/backends/wasm/ (one module
 * instance, one linear memory per executor). Everything is laid out in WASM memory once, at
 * load: the activation slots (exactly as the Plan's arena), the weights repacked for the
 * kernels (src/backends/wasm/pack.ts), one parameter block per step, and a little scratch. A run
 * copies the input in, calls one export per step (no allocation, no copies between steps) and
 * copies the outputs out. Steps whose kernel has no WASM version run their TypeScript twin on
 * Float32Array views of the same WASM memory, so every Plan runs.
 */
import type { BindingRef, Plan, PlanStep } from '../../graph/plan.js';
import { padChannels, tensorFloats, unpadChannels } from '../../graph/layout.js';
import { CPU_KERNELS } from '../../kernels/cpu/index.js';
import { NO_CLAMP, RESIZE_MODES } from '../../kernels/spec.js';
import { instantiateWasmKernels, sharedPages, wasmKernelModule, type WasmKernelExports, type WasmVariant } from './loader.js';
import { ThreadPool, WORKER_STACK_BYTES, controlWords, startPool, type PoolFn } from './pool.js';
import { WasmImageInput } from './image_input.js';
import { WasmArena } from './arena.js';
import type { ImageLike, Preprocess } from '../../model/preprocess.js';
import { conv2dPackedFloats, depthwisePackedFloats, gemmPackedFloats, packConv2dWasm, packDepthwiseWasm, packGemmWasm } from './pack.js';

const NO_CLAMP_F32 = Math.fround(NO_CLAMP);

/** One step's parameter block: 4-byte words in the order of the C struct ('f' = f32, else i32/pointer). */
type Word = number | { f: number };

/** Epi (common.h): act, has_clamp, lo, hi, has_post, post_lo, post_hi. */
function epi(act: number, lo: number, hi: number, postLo = -NO_CLAMP, postHi = NO_CLAMP): Word[] {
  const on = (l: number, h: number): number => (Math.fround(l) > -NO_CLAMP_F32 || Math.fround(h) < NO_CLAMP_F32 ? 1 : 0);
  return [act, on(lo, hi), { f: lo }, { f: hi }, on(postLo, postHi), { f: postLo }, { f: postHi }];
}

/**
 * An optional clamp pair of Params (a quantized import's range; absent on older plans) as the
 * C kernels' words: on (0/1), lo, hi.
 */
function optClamp(lo: number | undefined, hi: number | undefined): Word[] {
  const [l, h] = [lo ?? -NO_CLAMP, hi ?? NO_CLAMP];
  return [Math.fround(l) > -NO_CLAMP_F32 || Math.fround(h) < NO_CLAMP_F32 ? 1 : 0, { f: l }, { f: h }];
}
const NONE: Word[] = optClamp(undefined, undefined);

interface Prepared {
  /** float offsets are filled in by the layout pass */
  weights: { floats: number; pack: (dst: Float32Array) => void }[];
  /** the parameter block, given the byte addresses of this step's packed weights */
  params: (w: number[]) => Word[];
  fn: keyof Pick<WasmKernelExports, 'pointwise' | 'depthwise' | 'conv2d' | 'global_pool' | 'squeeze_excite' | 'elementwise' | 'conv_transpose' | 'resize' | 'concat' | 'pad'>;
}

export interface WasmExecutorOptions {
  /** run these kernels with their TypeScript twins on views of WASM memory (debugging, tests) */
  tsKernels?: readonly string[];
  /** threads including the calling one (default 1); > 1 needs a threads variant */
  threads?: number;
  /** relaxed-SIMD kernels (the engine must validate them; see loader.resolveWasmConfig) */
  relaxed?: boolean;
  /** steps with fewer MACs than this run on the calling thread only (default 150,000) */
  minSplitMacs?: number;
}

/** the row-range export of each kernel the pool can split */
const SPLIT_FNS: Partial<Record<Prepared['fn'], PoolFn>> = {
  pointwise: 'pointwise_rows',
  depthwise: 'depthwise_rows',
  conv2d: 'conv2d_rows',
  conv_transpose: 'conv_transpose_rows',
  resize: 'resize_rows',
  concat: 'concat_rows',
  pad: 'pad_rows',
};

/** Below this many MACs a step costs less than waking the other threads (measured: ~2-5 us per split). */
const MIN_SPLIT_MACS = 150_000;

export interface StepProfile {
  label: string;
  kernel: string;
  /** median ms over the profiled runs */
  ms: number;
  macs: number;
  /** false when the step ran its TypeScript twin */
  wasm: boolean;
}

export class WasmExecutor {
  private readonly runs: (() => void)[];
  private disposed = false;
  private pool: ThreadPool | null = null;
  /** how many steps run split across the pool's threads */
  splitSteps = 0;
  /** why the requested thread pool did not start (the executor then runs on one thread) */
  poolError: string | null = null;

  private constructor(
    readonly plan: Plan,
    private exports: WasmKernelExports,
    private readonly slotPtr: number[],
    runs: (() => void)[],
    /** which steps run in WASM (false: TypeScript twin) */
    readonly wasmSteps: boolean[],
    /** bytes of WASM memory this executor holds */
    readonly memoryBytes: number,
  ) {
    this.runs = runs;
  }

  /** the module variant this executor runs */
  variant: WasmVariant = 'simd';
  /** where runUnpadded writes an input whose channels are not a multiple of 4 (0: none needed) */
  private stagingPtr = 0;
  private image: WasmImageInput | null = null;

  /** threads the executor runs its split steps on (1: no pool) */
  get threads(): number {
    return this.pool?.size ?? 1;
  }

  static async create(plan: Plan, opts: WasmExecutorOptions = {}): Promise<WasmExecutor> {
    const threads = Math.max(1, Math.floor(opts.threads ?? 1));
    const variant: WasmVariant = threads > 1 ? (opts.relaxed ? 'threads-relaxed' : 'threads') : opts.relaxed ? 'relaxed' : 'simd';
    let shared: WebAssembly.Memory | undefined;
    if (threads > 1) {
      const pages = await sharedPages(variant);
      shared = new WebAssembly.Memory({ initial: pages.initial, maximum: pages.maximum, shared: true } as WebAssembly.MemoryDescriptor);
    }
    const ex = await instantiateWasmKernels(variant, shared);
    const arena = new WasmArena(ex);
    const alloc = (bytes: number): number => arena.alloc(bytes);
    const slotPtr = plan.slots.map((b) => alloc(b));
    const W = plan.weights;
    let scratchFloats = 0;
    let zeroFloats = 8;
    let pooledFloats = 4;
    let hiddenFloats = 4;
    // pointers that only exist after the layout pass; resolved lazily by the params thunks
    const late = { scratch: 0, zero: 0, pooled: 0, hidden: 0, dummy: 0 };
    const ptr = (b: BindingRef | undefined, what: string): number => {
      if (!b) throw new Error(`wasm executor: missing binding '${what}'`);
      if (b.buffer === 'arena') return slotPtr[b.slot];
      if (b.buffer === 'dummy') return late.dummy;
      throw new Error(`wasm executor: binding '${what}' is the weights buffer`);
    };

    const prepare = (s: PlanStep): Prepared | null => {
      if (opts.tsKernels?.includes(s.kernel)) return null;
      const p = s.params;
      const o = s.overrides;
      const B = s.bindings;
      switch (s.kernel) {
        case 'pointwise': {
          const [M, K, N] = [p.pixels, p.in_c4 * 4, p.out_c4 * 4];
          const scaleClamp = o.HAS_SCALE === 1 ? optClamp(p.scale_lo, p.scale_hi) : NONE;
          if (o.HAS_SCALE === 1) scratchFloats = Math.max(scratchFloats, ex.pointwise_scratch_floats(M, K, N, scaleClamp[0] as number));
          return {
            fn: 'pointwise',
            weights: [{ floats: gemmPackedFloats(K, N), pack: (d) => packGemmWasm(W, p.w_offset * 4, p.b_offset * 4, K, N, d) }],
            params: ([w]) => [
              M, K, N, ptr(B.input, 'input'), w, o.HAS_SCALE === 1 ? ptr(B.scale, 'scale') : 0, o.HAS_RES === 1 ? ptr(B.residual, 'residual') : 0,
              ptr(B.output, 'output'), o.HAS_SCALE === 1 ? late.scratch : 0, ...epi(o.ACT, p.clamp_lo, p.clamp_hi, p.post_lo, p.post_hi),
              ...scaleClamp,
            ],
          };
        }
        case 'depthwise': {
          const C = p.c4 * 4;
          const T = o.KH * o.KW;
          return {
            fn: 'depthwise',
            weights: [{ floats: depthwisePackedFloats(C, T), pack: (d) => packDepthwiseWasm(W, p.w_offset * 4, p.b_offset * 4, C, T, d) }],
            params: ([w]) => [
              p.in_h, p.in_w, p.out_h, p.out_w, C, p.stride_h, p.stride_w, p.dil_h, p.dil_w, p.pad_t, p.pad_l, o.KH, o.KW,
              ptr(B.input, 'input'), w, ptr(B.output, 'output'), late.zero, ...epi(o.ACT, p.clamp_lo, p.clamp_hi),
            ],
          };
        }
        case 'conv2d': {
          const [IC, OC, T] = [p.in_c4 * 4, p.out_c4 * 4, o.KH * o.KW];
          // channels past the input tensor's real count are zero padding in input and weights
          const inName = B.input?.buffer === 'arena' ? B.input.tensor : undefined;
          const inT = plan.tensors.find((t) => t.name === inName && t.c4 * 4 === IC);
          const ICU = inT ? Math.min(IC, Math.max(1, inT.c)) : IC;
          zeroFloats = Math.max(zeroFloats, IC);
          return {
            fn: 'conv2d',
            weights: [{ floats: conv2dPackedFloats(ICU, OC, T), pack: (d) => packConv2dWasm(W, p.w_offset * 4, p.b_offset * 4, IC, ICU, OC, T, d) }],
            params: ([w]) => [
              p.in_h, p.in_w, IC, ICU, p.out_h, p.out_w, OC, p.stride_h, p.stride_w, p.dil_h, p.dil_w, p.pad_t, p.pad_l, o.KH, o.KW,
              ptr(B.input, 'input'), w, ptr(B.output, 'output'), late.zero, ...epi(o.ACT, p.clamp_lo, p.clamp_hi),
            ],
          };
        }
        case 'squeeze_excite': {
          const [C, S] = [p.c4 * 4, p.sq4 * 4];
          pooledFloats = Math.max(pooledFloats, C);
          hiddenFloats = Math.max(hiddenFloats, S);
          return {
            fn: 'squeeze_excite',
            weights: [
              { floats: gemmPackedFloats(C, S), pack: (d) => packGemmWasm(W, p.w1_offset * 4, p.b1_offset * 4, C, S, d) },
              { floats: gemmPackedFloats(S, C), pack: (d) => packGemmWasm(W, p.w2_offset * 4, p.b2_offset * 4, S, C, d) },
            ],
            params: ([w1, w2]) => {
              const out = ptr(B.output, 'output');
              return [
                p.pixels, C, S, ptr(B.input, 'input'), out, late.pooled, late.hidden,
                1, C, S, late.pooled, w1, 0, 0, late.hidden, 0, ...epi(p.act1, p.fc1_lo ?? -NO_CLAMP, p.fc1_hi ?? NO_CLAMP), ...NONE,
                1, S, C, late.hidden, w2, 0, 0, out, 0, ...epi(p.act2, p.fc2_lo ?? -NO_CLAMP, p.fc2_hi ?? NO_CLAMP), ...NONE,
                ...optClamp(p.pool_lo, p.pool_hi),
              ];
            },
          };
        }
        case 'conv_transpose': {
          const [IC, OC, T] = [p.in_c4 * 4, p.out_c4 * 4, p.kh * p.kw];
          const wFloats = T * p.in_c4 * p.out_c4 * 16;
          return {
            fn: 'conv_transpose',
            // the plan's own layout, after the bias (decoder.c)
            weights: [
              {
                floats: OC + wFloats,
                pack: (d) => {
                  d.set(W.subarray(p.b_offset * 4, p.b_offset * 4 + OC), 0);
                  d.set(W.subarray(p.w_offset * 4, p.w_offset * 4 + wFloats), OC);
                },
              },
            ],
            params: ([w]) => [
              p.in_h, p.in_w, IC, p.out_h, p.out_w, OC, p.stride_h, p.stride_w, p.pad_t, p.pad_l, p.kh, p.kw,
              ptr(B.input, 'input'), w, o.HAS_RES === 1 ? ptr(B.residual, 'residual') : 0, ptr(B.output, 'output'),
              ...epi(o.ACT, p.clamp_lo, p.clamp_hi, p.post_lo, p.post_hi),
            ],
          };
        }
        case 'resize': {
          const tab = (p.out_h + p.out_w) * 4;
          if (o.MODE !== RESIZE_MODES.bilinear && o.MODE !== RESIZE_MODES.nearest) return null;
          return {
            fn: 'resize',
            weights: [{ floats: tab, pack: (d) => d.set(W.subarray(p.w_offset * 4, p.w_offset * 4 + tab)) }],
            params: ([t]) => [p.in_h, p.in_w, p.out_h, p.out_w, p.c4 * 4, o.MODE === RESIZE_MODES.nearest ? 1 : 0, ptr(B.input, 'input'), t, ptr(B.output, 'output')],
          };
        }
        case 'concat': {
          const ks = [0, 1, 2, 3];
          return {
            fn: 'concat',
            weights: [],
            params: () => [
              p.pixels, p.out_c4, p.q_lo, p.q_count,
              ...ks.map((k) => p[`in${k}_off`]), ...ks.map((k) => p[`in${k}_c`]), ...ks.map((k) => p[`in${k}_c4`]),
              ...ks.map((k) => (p[`in${k}_c`] > 0 ? ptr(B[`in${k}`], `in${k}`) : 0)), ptr(B.output, 'output'),
            ],
          };
        }
        case 'pad':
          return {
            fn: 'pad',
            weights: [],
            params: () => [p.in_h, p.in_w, p.out_h, p.out_w, p.c4 * 4, p.c, p.pad_t, p.pad_l, { f: p.value }, ptr(B.input, 'input'), ptr(B.output, 'output')],
          };
        case 'global_pool':
          return { fn: 'global_pool', weights: [], params: () => [p.pixels, p.c4 * 4, ptr(B.input, 'input'), ptr(B.output, 'output')] };
        case 'elementwise':
          return {
            fn: 'elementwise',
            weights: [],
            params: () => [p.count, p.c4 * 4, o.OP, ptr(B.a, 'a'), o.OP === 0 ? late.dummy : ptr(B.b, 'b'), ptr(B.output, 'output'), ...epi(o.ACT, p.clamp_lo, p.clamp_hi)],
          };
        default:
          return null; // no WASM kernel: the TypeScript twin runs on views of WASM memory
      }
    };

    const prepared = plan.steps.map(prepare);
    const weightPtrs = prepared.map((pr) => (pr ? pr.weights.map((w) => alloc(w.floats * 4)) : []));
    const paramPtrs = prepared.map((pr) => (pr ? alloc(pr.params(pr.weights.map(() => 0)).length * 4) : 0));
    late.scratch = alloc(scratchFloats * 4);
    late.zero = alloc(zeroFloats * 4);
    late.pooled = alloc(pooledFloats * 4);
    late.hidden = alloc(hiddenFloats * 4);
    late.dummy = alloc(16);
    // Model.run's unpadded input, padded by pad_input into the input slot
    const inp0 = plan.input;
    const stagingPtr = inp0.c % 4 !== 0 ? alloc(inp0.h * inp0.w * inp0.c * 4) : 0;
    // the pool's control block and one stack per worker
    const ctrlPtr = threads > 1 ? alloc(controlWords(threads - 1) * 4) : 0;
    const stackTops = Array.from({ length: threads - 1 }, () => alloc(WORKER_STACK_BYTES) + WORKER_STACK_BYTES);

    const mem = ex.memory;
    const buf = arena.commit();
    new Int32Array(buf, ctrlPtr, threads > 1 ? controlWords(threads - 1) : 0).fill(0);
    const minSplit = opts.minSplitMacs ?? MIN_SPLIT_MACS;
    // filled in once the pool has started (split steps read it at run time)
    const poolRef: { pool: ThreadPool | null } = { pool: null };
    let splitSteps = 0;
    const i32 = new Int32Array(buf);
    const f32 = new Float32Array(buf);

    const runs: (() => void)[] = [];
    const wasmSteps: boolean[] = [];
    plan.steps.forEach((s, i) => {
      const pr = prepared[i];
      if (!pr) {
        const views = Object.fromEntries(
          Object.entries(s.bindings).map(([k, b]) => [
            k,
            b.buffer === 'arena' ? new Float32Array(buf, slotPtr[b.slot], b.size / 4) : b.buffer === 'weights' ? W : new Float32Array(4),
          ]),
        );
        const cpu = CPU_KERNELS[s.kernel];
        if (!cpu) throw new Error(`wasm executor: no kernel '${s.kernel}' for step ${s.label}`);
        runs.push(() => cpu(views, s.params, s.overrides));
        wasmSteps.push(false);
        return;
      }
      pr.weights.forEach((w, j) => w.pack(new Float32Array(buf, weightPtrs[i][j], w.floats)));
      const words = pr.params(weightPtrs[i]);
      const base = paramPtrs[i] / 4;
      words.forEach((v, j) => {
        if (typeof v === 'number') i32[base + j] = v;
        else f32[base + j] = v.f;
      });
      const fn = ex[pr.fn] as (p: number) => void;
      const at = paramPtrs[i];
      const rowsFn = SPLIT_FNS[pr.fn];
      const rows = pr.fn === 'pointwise' || pr.fn === 'concat' ? s.params.pixels : rowsFn ? s.params.out_h : 0;
      const grain = pr.fn === 'pointwise' ? 4 : pr.fn === 'concat' ? 16 : 1;
      // the data-movement ops have no MACs: their work is their output size
      const work =
        pr.fn === 'resize' || pr.fn === 'pad' ? s.params.out_h * s.params.out_w * s.params.c4 * 4 : pr.fn === 'concat' ? s.params.pixels * s.params.q_count * 4 : s.macs;
      if (threads > 1 && rowsFn && rows >= 2 * grain && work >= minSplit) {
        // split by pixel rows (pointwise) or output rows (the others) across the pool
        splitSteps++;
        const rowExport = ex[rowsFn] as (params: number, r0: number, r1: number) => void;
        const own = (a: number, b: number): void => rowExport(at, a, b);
        runs.push(() => {
          const pool = poolRef.pool;
          if (!pool) return fn(at);
          if (pr.fn === 'pointwise') ex.pointwise_prep(at);
          pool.run(rowsFn, at, rows, grain, own);
        });
      } else runs.push(() => fn(at));
      wasmSteps.push(true);
    });
    const exec = new WasmExecutor(plan, ex, slotPtr, runs, wasmSteps, buf.byteLength);
    exec.stagingPtr = stagingPtr;
    exec.variant = variant;
    if (threads > 1) {
      // without a pool the split steps (they check poolRef) run on this thread
      const { pool, error } = await startPool(await wasmKernelModule(variant), mem, ctrlPtr, stackTops);
      exec.pool = poolRef.pool = pool;
      exec.poolError = error;
      if (pool) exec.splitSteps = splitSteps;
    }
    return exec;
  }

  private check(input: Float32Array): void {
    if (this.disposed) throw new Error('wasm executor: the model was disposed');
    const inp = this.plan.input;
    if (input.length !== tensorFloats(inp)) throw new Error(`wasm executor: input has ${input.length} floats, expected ${tensorFloats(inp)}`);
    new Float32Array(this.exports.memory.buffer, this.slotPtr[inp.slot], input.length).set(input);
  }

  private outputs(): Float32Array[] {
    const buf = this.exports.memory.buffer;
    return this.plan.outputs.map((o) => new Float32Array(buf, this.slotPtr[o.slot], tensorFloats(o)).slice());
  }

  /** A view of activation slot `i` in WASM memory (tests and tools: set extra inputs, read results). */
  slot(i: number): Float32Array {
    if (this.disposed) throw new Error('wasm executor: the model was disposed');
    return new Float32Array(this.exports.memory.buffer, this.slotPtr[i], this.plan.slots[i] / 4);
  }

  /** input: the padded NHWC input (plan.input.c4 * 4 floats per pixel); returns padded outputs. */
  run(input: Float32Array): Float32Array[] {
    this.check(input);
    for (const r of this.runs) r();
    return this.outputs();
  }

  /**
   * Model.run's path: `data` is the unpadded NHWC input (plan.input.c channels), written into
   * WASM memory with the padding lanes zeroed; the outputs are read straight out of WASM memory
   * with only their real channels (one copy each; run() makes two).
   */
  runUnpadded(data: Float32Array): Float32Array[] {
    if (this.disposed) throw new Error('wasm executor: the model was disposed');
    const inp = this.plan.input;
    const px = inp.h * inp.w;
    if (data.length !== px * inp.c) throw new Error(`wasm executor: input has ${data.length} floats, expected ${px * inp.c}`);
    const buf = this.exports.memory.buffer;
    if (this.stagingPtr) {
      new Float32Array(buf, this.stagingPtr, data.length).set(data);
      this.exports.pad_input(this.stagingPtr, this.slotPtr[inp.slot], px, inp.c, inp.c4 * 4);
    } else padChannels(data, px, inp.c, new Float32Array(buf, this.slotPtr[inp.slot], tensorFloats(inp)));
    return this.runWritten();
  }

  /**
   * Model.run(image) on wasm: the image preprocessed in WASM (image.c) straight into the input
   * tensor, then the run; null (nothing run) where this model's input is not the preprocessing's
   * RGB image or the memory cannot grow for the image: the caller preprocesses in TypeScript.
   */
  runImage(img: ImageLike, pre: Preprocess): { outputs: Float32Array[]; preprocessMs: number } | null {
    if (this.disposed) throw new Error('wasm executor: the model was disposed');
    const inp = this.plan.input;
    if (inp.c !== 3 || inp.h !== pre.height || inp.w !== pre.width) return null;
    const t0 = performance.now();
    this.image ??= new WasmImageInput(this.exports);
    if (!this.image.write(img, pre, this.slotPtr[inp.slot], 4)) return null;
    const preprocessMs = performance.now() - t0;
    return { outputs: this.runWritten(), preprocessMs };
  }

  /** runs on the input already in WASM memory; the outputs read out unpadded */
  private runWritten(): Float32Array[] {
    for (const r of this.runs) r();
    const buf = this.exports.memory.buffer;
    return this.plan.outputs.map((o) => unpadChannels(new Float32Array(buf, this.slotPtr[o.slot], tensorFloats(o)), o.h * o.w, o.c));
  }

  /** Runs and also returns every step's output (for per-layer comparisons). */
  runTraced(input: Float32Array): { outputs: Float32Array[]; steps: Float32Array[] } {
    this.check(input);
    const steps: Float32Array[] = [];
    const buf = this.exports.memory.buffer;
    this.plan.steps.forEach((s, i) => {
      this.runs[i]();
      const b = s.bindings.output;
      if (b?.buffer !== 'arena') throw new Error(`wasm executor: step ${s.label} has no arena output`);
      steps.push(new Float32Array(buf, this.slotPtr[b.slot], b.size / 4).slice());
    });
    return { outputs: this.outputs(), steps };
  }

  /**
   * Per-step wall time over `runs` whole-model runs (after one warm-up run): the median, or
   * the minimum ('min': the least disturbed by other processes on a shared machine).
   */
  profile(input: Float32Array, runs = 10, stat: 'median' | 'min' = 'median'): StepProfile[] {
    this.run(input);
    const times = this.plan.steps.map(() => [] as number[]);
    for (let r = 0; r < runs; r++) {
      this.check(input);
      this.runs.forEach((fn, i) => {
        const t0 = performance.now();
        fn();
        times[i].push(performance.now() - t0);
      });
    }
    return this.plan.steps.map((s, i) => {
      const t = times[i].sort((a, b) => a - b);
      return { label: s.label, kernel: s.kernel, ms: stat === 'min' ? t[0] : t[t.length >> 1], macs: s.macs, wasm: this.wasmSteps[i] };
    });
  }

  /** Drops the WASM instance (its memory is freed by the garbage collector) and stops the pool's workers; run() then throws. */
  dispose(): void {
    this.disposed = true;
    this.pool?.close();
    this.pool = null;
    this.exports = null as unknown as WasmKernelExports;
  }
}
