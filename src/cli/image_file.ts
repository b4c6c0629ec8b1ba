/** PNG/JPEG reading and mask PNG writing for the CLI (Node only). */
import { readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import type { ImageLike } from '../model/preprocess.js';

export function readImageFile(path: string): ImageLike {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read image ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50) {
      const png = PNG.sync.read(bytes);
      return { data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height };
    }
    if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      return { data: j.data, width: j.width, height: j.height };
    }
  } catch (e) {
    throw new Error(`cannot decode image ${path}: ${(e as Error).message}`);
  }
  throw new Error(`${path}: not a PNG or JPEG file`);
}

/** Writes a class/foreground mask as a grey PNG (class k -> a distinct grey level). */
export function writeMaskPng(path: string, mask: Uint8Array, width: number, height: number): void {
  const png = new PNG({ width, height });
  let maxClass = 1;
  for (const v of mask) maxClass = Math.max(maxClass, v);
  for (let i = 0; i < mask.length; i++) {
    const g = Math.round((mask[i] / maxClass) * 255);
    png.data[4 * i] = png.data[4 * i + 1] = png.data[4 * i + 2] = g;
    png.data[4 * i + 3] = 255;
  }
  writeFileSync(path, PNG.sync.write(png));
}
