/**
 * The wasm backend's image input (src/backends/wasm/image.c + image_input.ts): model.run(image)
 * and model.runFrame on wasm preprocess in WASM straight into the input tensor. Checked
 * against the TypeScript preprocessImage (the oracle) on real photos and synthetic images
 * (RGB / RGBA, crops, BGR, odd sizes, 1x1, a 3000x2000 frame), and end to end: the same top-1
 * as model.run on the TypeScript-preprocessed tensor, float and int8.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime.js';
import { importTflite } from '../../src/import/tflite.js';
import { instantiateWasmKernels } from '../../src/backends/wasm/loader.js';
import { WasmImageInput } from '../../src/backends/wasm/image_input.js';
import { PREPROCESS_PRESETS, preprocessImage, type ImageLike, type Preprocess } from '../../src/model/preprocess.js';
import { argmax } from '../helpers/compare.js';
import { IMAGES, loadImage } from '../helpers/images.js';

const UINT8 = '../shared/models/v3-small_224_1.0_uint8.tflite';

function synthetic(w: number, h: number, ch: number, seed: number): ImageLike {
  const data = new Uint8ClampedArray(w * h * ch);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919 + seed * 131 + ((i / ch / w) | 0) * 17) % 256;
  return { data, width: w, height: h };
}

function rgb(img: ImageLike): ImageLike {
  const ch = img.data.length / (img.width * img.height);
  if (ch === 3) return img;
  const out = new Uint8Array(img.width * img.height * 3);
  for (let p = 0; p < img.width * img.height; p++) for (let k = 0; k < 3; k++) out[p * 3 + k] = img.data[p * ch + k];
  return { data: out, width: img.width, height: img.height };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

describe('wasm image input vs preprocessImage', () => {
  const presets: [string, Preprocess][] = [
    ['paper 224 (crop 0.875)', PREPROCESS_PRESETS.paper(224)],
    ['imagenet 96', PREPROCESS_PRESETS.imagenet(96)],
    ['bgr 160 crop 0.5', { ...PREPROCESS_PRESETS.paper(160), colorOrder: 'bgr', crop: 0.5, mean: [0.1, 0.2, 0.3], std: [0.3, 0.2, 0.1] }],
    ['non-square 64x200', { ...PREPROCESS_PRESETS.imagenet(64), width: 200 }],
  ];
  const images: [string, () => ImageLike][] = [
    ['chelsea.png', () => loadImage(`${IMAGES}/chelsea.png`)],
    ['chelsea.png as RGB', () => rgb(loadImage(`${IMAGES}/chelsea.png`))],
    ['640x480 RGBA', () => synthetic(640, 480, 4, 1)],
    ['333x251 RGB', () => synthetic(333, 251, 3, 2)],
    ['1x1 RGBA', () => synthetic(1, 1, 4, 3)],
    ['7x3 RGB', () => synthetic(7, 3, 3, 4)],
    ['3000x2000 RGBA', () => synthetic(3000, 2000, 4, 5)],
  ];

  it.each(images)('%s: within 2e-6 of preprocessImage for 4 preprocessings, strides 3 and 4', async (_n, make) => {
    const ex = await instantiateWasmKernels('simd');
    const input = new WasmImageInput(ex);
    const img = make();
    for (const [, pre] of presets) {
      const want = preprocessImage(img, pre);
      const px = pre.height * pre.width;
      for (const stride of [3, 4] as const) {
        // the output tensor at the current end of memory (the image region goes after it)
        const outPtr = ex.memory.buffer.byteLength;
        ex.memory.grow(Math.ceil((px * stride * 4) / 65536));
        new Float32Array(ex.memory.buffer, outPtr, px * stride).fill(NaN);
        expect(input.write(img, pre, outPtr, stride)).toBe(true);
        // (a fresh view: the write may have grown, and so detached, the memory)
        const got = new Float32Array(ex.memory.buffer, outPtr, px * stride);
        let d = 0;
        for (let p = 0; p < px; p++) {
          for (let k = 0; k < 3; k++) d = Math.max(d, Math.abs(got[p * stride + k] - want[p * 3 + k]));
          if (stride === 4) expect(got[p * 4 + 3]).toBe(0);
        }
        expect(d).toBeLessThan(2e-6);
      }
    }
  });

  it('a bad image: the same error as preprocessImage, and nothing written', async () => {
    const ex = await instantiateWasmKernels('simd');
    const input = new WasmImageInput(ex);
    const bad = { data: new Uint8Array(10), width: 2, height: 2 };
    const pre = PREPROCESS_PRESETS.paper(32);
    expect(() => preprocessImage(bad, pre)).toThrow(/neither RGB nor RGBA/);
    expect(() => input.write(bad, pre, 0, 4)).toThrow(/10 bytes for 2x2 is neither RGB nor RGBA/);
    const img = synthetic(4, 4, 4, 9);
    expect(() => input.write(img, { ...pre, std: [0.5, 0, 0.5] }, 0, 4)).toThrow(/std \[0.5,0,0.5\] give a non-finite input scaling/);
  });
});

describe('model.run(image) / runFrame on wasm preprocess in WASM', () => {
  const bytes = new Uint8Array(readFileSync(UINT8));
  const photos = ['chelsea.png', 'coffee.png', 'astronaut.png'];

  it.each(['float', 'int8'] as const)('uint8 Small, %s: same top-1 as run(preprocessImage(photo)); runFrame the same', async (quantized) => {
    const rt = await createRuntime({ backend: 'wasm' });
    const m = await rt.load(importTflite(bytes, 'v3-small_224_1.0_uint8.tflite'), { quantized });
    expect(m.quantized).toBe(quantized);
    for (const name of photos) {
      for (const img of [loadImage(`${IMAGES}/${name}`), rgb(loadImage(`${IMAGES}/${name}`))]) {
        const viaTs = await m.run(preprocessImage(img, m.preprocess!));
        const viaWasm = await m.run(img);
        expect(argmax(viaWasm)).toBe(argmax(viaTs));
        // float: the inputs differ by ~1e-7; int8: an input that close to a rounding boundary can flip one step
        if (quantized === 'float') expect(maxDiff(viaWasm, viaTs)).toBeLessThan(1e-4);
        const f = await m.runFrame(img);
        expect(f.framePath).toBe('pixels');
        expect(argmax(f.outputs[0])).toBe(argmax(viaTs));
        expect(f.timings.preprocessMs).toBeGreaterThan(0);
      }
    }
    m.dispose();
    await expect(m.run(loadImage(`${IMAGES}/chelsea.png`))).rejects.toThrow(/disposed/);
    rt.dispose();
  });
});
