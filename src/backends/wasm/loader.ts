/**
 * Loads the WebAssembly SIMD kernel modules (built by scripts/build_wasm.mjs from
 * src/backends/wasm/*.c and embedded as base64, so Node and bundlers need no file paths).
 * Four variants: baseline SIMD or relaxed SIMD (f32x4.relaxed_madd), each with its own memory
 * or with an imported shared memory for the thread pool (pool.ts). Which one a runtime uses is
 * picked at load by feature detection (resolveWasmConfig) and can be forced (RuntimeOptions.wasm).
 * Each variant is compiled once per process; each executor instantiates it with its own memory.
 * The generated files are imported lazily, one per variant, so code that never uses the wasm
 * backend does not need them (`npm run build:wasm`, which `test`, `build`, `cli`... run first).
 */

/** The module's exports (see the C sources for each parameter block). */
export interface WasmKernelExports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  /** threads variants: the instance's stack pointer (each thread sets its own) */
  readonly __stack_pointer?: WebAssembly.Global;
  pointwise(params: number): void;
  pointwise_prep(params: number): void;
  pointwise_rows(params: number, m0: number, m1: number): void;
  depthwise_rows(params: number, y0: number, y1: number): void;
  conv2d_rows(params: number, y0: number, y1: number): void;
  conv_transpose(params: number): void;
  conv_transpose_rows(params: number, y0: number, y1: number): void;
  resize(params: number): void;
  resize_rows(params: number, y0: number, y1: number): void;
  concat(params: number): void;
  concat_rows(params: number, p0: number, p1: number): void;
  pad(params: number): void;
  pad_rows(params: number, y0: number, y1: number): void;
  pointwise_scratch_floats(m: number, k: number, n: number, scaleClamp: number): number;
  depthwise(params: number): void;
  conv2d(params: number): void;
  global_pool(params: number): void;
  squeeze_excite(params: number): void;
  elementwise(params: number): void;
  pad_input(inPtr: number, outPtr: number, pixels: number, c: number, cp: number): void;
  /** image.c: an 8-bit RGB(A) image preprocessed into a float input tensor */
  preprocess_image(params: number): void;
  // int8 kernels (qkernels.c)
  q_pointwise(params: number): void;
  q_pointwise_rows(params: number, m0: number, m1: number): void;
  q_conv(params: number): void;
  q_conv_rows(params: number, y0: number, y1: number): void;
  q_depthwise(params: number): void;
  q_depthwise_rows(params: number, y0: number, y1: number): void;
  q_add(params: number): void;
  q_add_rows(params: number, g0: number, g1: number): void;
  q_mul_channel(params: number): void;
  q_mul_channel_prep(params: number): void;
  q_mul_channel_rows(params: number, px0: number, px1: number): void;
  q_mean(params: number): void;
  q_lut(params: number): void;
  q_quantize(params: number): void;
}

// (module (func (result v128) v128.const i32x4 0 0 0 0)): validates only with SIMD support
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 11,
]);

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11,
]);

let simd: boolean | undefined;
let relaxed: boolean | undefined;

/** True when this engine validates relaxed SIMD (chromium 114+; Node 20 only with --experimental-wasm-relaxed-simd). */
export function wasmRelaxedSimdSupported(): boolean {
  if (relaxed === undefined) {
    try {
      relaxed = wasmSimdSupported() && WebAssembly.validate(RELAXED_PROBE);
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}

/** null when threads can run here, else why not (the runtime reports it). */
export function wasmThreadsUnavailable(): string | null {
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown; process?: { versions?: { node?: string } } };
  if (typeof SharedArrayBuffer !== 'function' || g.crossOriginIsolated === false)
    return 'the page is not cross-origin isolated (no SharedArrayBuffer: serve it with COOP: same-origin and COEP: require-corp)';
  if (typeof Atomics !== 'object') return 'no Atomics';
  if (typeof g.Worker !== 'function' && !g.process?.versions?.node) return 'no Worker in this context';
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
  } catch (e) {
    return `shared WebAssembly memory refused (${(e as Error).message})`;
  }
  return null;
}

/** Options of the wasm backend (RuntimeOptions.wasm). */
export interface WasmOptions {
  /** threads in the pool including the calling one: 'auto' (default) = navigator.hardwareConcurrency / os.availableParallelism(), capped at 8; 1 = single-threaded */
  threads?: number | 'auto';
  /** 'auto' (default): relaxed SIMD where the engine validates it and the build has it; 'baseline' forces plain SIMD128; 'relaxed' requires it */
  simd?: 'auto' | 'relaxed' | 'baseline';
}

export type WasmVariant = 'simd' | 'threads' | 'relaxed' | 'threads-relaxed';

/** What a runtime's wasm backend uses, and why (appended to rt.reason). */
export interface WasmConfig {
  threads: number;
  relaxed: boolean;
  variant: WasmVariant;
  reason: string;
}

async function hardwareThreads(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  const g = globalThis as { process?: { versions?: { node?: string } } };
  if (g.process?.versions?.node) {
    const osName = 'node:os';
    const os = (await import(/* @vite-ignore */ osName)) as typeof import('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  return 1;
}

/** Resolves the wasm options against this engine: thread count, SIMD flavour, module variant. */
export async function resolveWasmConfig(o: WasmOptions = {}): Promise<WasmConfig> {
  const t = o.threads ?? 'auto';
  if (t !== 'auto' && !(Number.isInteger(t) && t >= 1 && t <= 64)) throw new Error(`invalid option 'wasm.threads': ${String(t)} (expected 'auto' or an integer 1..64)`);
  const s = o.simd ?? 'auto';
  if (!['auto', 'relaxed', 'baseline'].includes(s)) throw new Error(`invalid option 'wasm.simd': '${String(s)}' (expected 'auto', 'relaxed' or 'baseline')`);
  const notes: string[] = [];
  let threads = t === 'auto' ? Math.min(8, await hardwareThreads()) : t;
  if (threads > 1) {
    const why = wasmThreadsUnavailable();
    if (why) {
      notes.push(`single-threaded: ${why}`);
      threads = 1;
    }
  }
  let rel = false;
  if (s !== 'baseline') {
    const why = !wasmRelaxedSimdSupported() ? 'this engine does not validate relaxed SIMD' : await relaxedBuildMissing();
    if (why && s === 'relaxed') throw new Error(`wasm.simd 'relaxed' requested but ${why}`);
    if (why) notes.push(`baseline SIMD: ${why}`);
    rel = !why;
  }
  const variant: WasmVariant = threads > 1 ? (rel ? 'threads-relaxed' : 'threads') : rel ? 'relaxed' : 'simd';
  const head = `${threads} thread${threads > 1 ? 's' : ''}, ${rel ? 'relaxed SIMD (f32x4.relaxed_madd)' : 'SIMD128'}`;
  return { threads, relaxed: rel, variant, reason: notes.length ? `${head}; ${notes.join('; ')}` : head };
}

async function relaxedBuildMissing(): Promise<string | null> {
  try {
    const m = await generated('relaxed');
    return m.WASM_KERNELS_UNAVAILABLE || null;
  } catch (e) {
    return (e as Error).message;
  }
}


/** True when this JavaScript engine runs WebAssembly with fixed-width SIMD (128-bit). */
export function wasmSimdSupported(): boolean {
  if (simd === undefined) {
    try {
      simd = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
    } catch {
      simd = false;
    }
  }
  return simd;
}

function decodeBase64(b64: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (B) return new Uint8Array(B.from(b64, 'base64'));
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

interface Generated {
  WASM_KERNELS_BASE64: string;
  WASM_KERNELS_UNAVAILABLE?: string;
  WASM_SHARED_PAGES?: { initial: number; maximum: number };
}

/** one literal import per variant, so bundlers split them into their own chunks */
function generated(v: WasmVariant): Promise<Generated> {
  const p: Promise<Generated> =
    v === 'simd'
      ? import('./kernels_wasm.generated.js')
      : v === 'threads'
        ? import('./kernels_wasm_threads.generated.js')
        : v === 'relaxed'
          ? import('./kernels_wasm_relaxed.generated.js')
          : import('./kernels_wasm_threads_relaxed.generated.js');
  return p.catch((e: unknown) => {
    throw new Error(`the WebAssembly kernels are not built (src/backends/wasm/kernels_wasm*.generated.ts): run \`npm run build:wasm\` (${(e as Error).message})`);
  });
}

const compiled = new Map<WasmVariant, Promise<WebAssembly.Module>>();

/** The compiled kernel module of a variant (compiled on first use; default: baseline, own memory). */
export function wasmKernelModule(v: WasmVariant = 'simd'): Promise<WebAssembly.Module> {
  if (!wasmSimdSupported()) return Promise.reject(new Error('WebAssembly SIMD is not available in this JavaScript engine'));
  let p = compiled.get(v);
  if (!p) {
    p = generated(v)
      .then((m) => {
        if (m.WASM_KERNELS_UNAVAILABLE) throw new Error(m.WASM_KERNELS_UNAVAILABLE);
        return WebAssembly.compile(decodeBase64(m.WASM_KERNELS_BASE64) as BufferSource);
      })
      .catch((e: unknown) => {
        compiled.delete(v);
        throw e;
      });
    compiled.set(v, p);
  }
  return p;
}

/** The shared-memory limits of the threads variants (pages). */
export async function sharedPages(v: WasmVariant): Promise<{ initial: number; maximum: number }> {
  const m = await generated(v);
  if (!m.WASM_SHARED_PAGES) throw new Error(`wasm variant '${v}' has no shared memory`);
  return m.WASM_SHARED_PAGES;
}

/**
 * A fresh instance of the kernel module: own memory, or (threads variants) the given shared
 * memory, which the caller made with sharedPages(). `memory` is the instance's memory either way.
 */
export async function instantiateWasmKernels(v: WasmVariant = 'simd', shared?: WebAssembly.Memory): Promise<WasmKernelExports> {
  const mod = await wasmKernelModule(v);
  if (v.startsWith('threads')) {
    if (!shared) throw new Error(`wasm variant '${v}' needs a shared memory`);
    const instance = await WebAssembly.instantiate(mod, { env: { memory: shared } });
    return { ...(instance.exports as object), memory: shared } as unknown as WasmKernelExports;
  }
  const instance = await WebAssembly.instantiate(mod, {});
  return instance.exports as unknown as WasmKernelExports;
}
