/**
 * Loads the WebAssembly SIMD kernel module (built by scripts/build_wasm.mjs from
 * src/backends/wasm/*.c and embedded as base64, so Node and bundlers need no file paths).
 * The module is compiled once per process; each executor instantiates it with its own memory.
 * The generated file is imported lazily, so code that never uses the wasm backend does not
 * need it (it is made by `npm run build:wasm`, which `test`, `build`, `cli`... run first).
 */

/** The module's exports (see the C sources for each parameter block). */
export interface WasmKernelExports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  pointwise(params: number): void;
  pointwise_scratch_floats(m: number, k: number, n: number, scaleClamp: number): number;
  depthwise(params: number): void;
  conv2d(params: number): void;
  global_pool(params: number): void;
  squeeze_excite(params: number): void;
  elementwise(params: number): void;
}

// (module (func (result v128) v128.const i32x4 0 0 0 0)): validates only with SIMD support
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 11,
]);

let simd: boolean | undefined;

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

let compiled: Promise<WebAssembly.Module> | null = null;

/** The compiled kernel module (compiled on first use). */
export function wasmKernelModule(): Promise<WebAssembly.Module> {
  if (!wasmSimdSupported()) return Promise.reject(new Error('WebAssembly SIMD is not available in this JavaScript engine'));
  compiled ??= import('./kernels_wasm.generated.js')
    .catch((e: unknown) => {
      throw new Error(`the WebAssembly kernels are not built (src/backends/wasm/kernels_wasm.generated.ts): run \`npm run build:wasm\` (${(e as Error).message})`);
    })
    .then((m) => WebAssembly.compile(decodeBase64(m.WASM_KERNELS_BASE64) as BufferSource))
    .catch((e: unknown) => {
      compiled = null;
      throw e;
    });
  return compiled;
}

/** A fresh instance (own memory) of the kernel module. */
export async function instantiateWasmKernels(): Promise<WasmKernelExports> {
  const instance = await WebAssembly.instantiate(await wasmKernelModule(), {});
  return instance.exports as unknown as WasmKernelExports;
}
