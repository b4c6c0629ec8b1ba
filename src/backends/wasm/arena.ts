/**
 * The wasm executors' memory layout: a bump allocator from the module's __heap_base, every
 * block 64-byte aligned (cache lines; SIMD loads), committed once by growing the memory to
 * fit. Everything an executor needs is allocated at load, so nothing moves afterwards; the
 * image input (image_input.ts) takes its region past the committed end.
 */
import type { WasmKernelExports } from './loader.js';

export const WASM_PAGE = 65536;
const ALIGN = 64;

export class WasmArena {
  private top: number;

  constructor(private readonly exports: WasmKernelExports) {
    this.top = Math.ceil((exports.__heap_base.value as number) / ALIGN) * ALIGN;
  }

  /** the address of a new block of at least `bytes` (16 minimum) */
  alloc(bytes: number): number {
    const at = this.top;
    this.top += Math.ceil(Math.max(bytes, 16) / ALIGN) * ALIGN;
    return at;
  }

  /** grows the memory to hold every block; returns the buffer (after the growth) */
  commit(): ArrayBuffer | SharedArrayBuffer {
    const mem = this.exports.memory;
    if (this.top > mem.buffer.byteLength) mem.grow(Math.ceil((this.top - mem.buffer.byteLength) / WASM_PAGE));
    return mem.buffer;
  }
}
