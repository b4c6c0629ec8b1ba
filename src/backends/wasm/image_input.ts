/**
 * The wasm backend's image input: an 8-bit RGB(A) image preprocessed by image.c straight into
 * the model's input tensor in WASM memory (model.run(image), model.runFrame), instead of the
 * TypeScript preprocessImage + a copy in. The image bytes, the parameter block and the
 * column tables live in a region at the end of the instance's memory, grown on demand (the
 * executors allocate everything else once, below it).
 */
import { imageCrop, pixelAffine, type ImageLike, type Preprocess } from '../../model/preprocess.js';
import type { WasmKernelExports } from './loader.js';
import { WASM_PAGE as PAGE } from './arena.js';

const PARAM_WORDS = 24;

export class WasmImageInput {
  private base = 0;
  private bytes = 0;
  /** why the last write fell back (memory could not grow), if it did */
  refused: string | null = null;

  constructor(private readonly exports: WasmKernelExports) {}

  /**
   * Preprocesses `img` into the float tensor at `outPtr` (`stride` floats per pixel: 3, or 4
   * with lane 3 zeroed). False when the memory cannot grow for the image (the caller falls
   * back to preprocessImage). Throws preprocessImage's errors for a bad image.
   */
  write(img: ImageLike, pre: Preprocess, outPtr: number, stride: 3 | 4): boolean {
    const { x0, y0, cw, chh, ch } = imageCrop(img, pre);
    const { order, scale, bias } = pixelAffine(pre);
    // (preprocessImage's output would fail the runtime's finite-input check; say why here)
    if (![...scale, ...bias].every(Number.isFinite)) throw new RangeError(`preprocess: mean ${JSON.stringify(pre.mean)} / std ${JSON.stringify(pre.std)} give a non-finite input scaling`);
    const colBytes = pre.width * 4;
    const need = PARAM_WORDS * 4 + 3 * colBytes + img.data.length + 16;
    const mem = this.exports.memory;
    if (need > this.bytes) {
      // a fresh region at the current end of memory (the old one, if any, stays unused)
      const base = Math.ceil(mem.buffer.byteLength / 16) * 16;
      const pages = Math.ceil((base + need - mem.buffer.byteLength) / PAGE);
      try {
        if (pages > 0) mem.grow(pages);
      } catch (e) {
        this.refused = `the WASM memory could not grow by ${pages} pages for a ${img.width}x${img.height} image (${(e as Error).message})`;
        return false;
      }
      this.base = base;
      this.bytes = mem.buffer.byteLength - base;
    }
    const buf = mem.buffer;
    const params = this.base;
    const colA = params + PARAM_WORDS * 4;
    const colB = colA + colBytes;
    const colF = colB + colBytes;
    const src = colF + colBytes;
    new Uint8Array(buf, src, img.data.length).set(img.data);
    const i32 = new Int32Array(buf, params, PARAM_WORDS);
    const f32 = new Float32Array(buf, params, PARAM_WORDS);
    i32.set([src, img.width, img.height, ch, outPtr, pre.height, pre.width, stride]);
    f32.set([x0, y0, cw, chh], 8);
    i32.set(order, 12);
    f32.set(scale, 15);
    f32.set(bias, 18);
    i32.set([colA, colB, colF], 21);
    this.exports.preprocess_image(params);
    return true;
  }
}
