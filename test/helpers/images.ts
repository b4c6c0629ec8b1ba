/** Decodes the test photos (PNG via pngjs, JPEG via jpeg-js) into RGBA ImageLike objects. */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import type { ImageLike } from '../../src/model/preprocess.js';
import { ASSET_CACHE, assetPath } from './assets.js';

export const ASSETS = ASSET_CACHE;
export const IMAGES = `${ASSETS}/images`;

export function loadImage(path: string): ImageLike & { data: Uint8Array } {
  // photos of the catalogue fail with what they are and how to fetch them
  if (path.startsWith(`${IMAGES}/`)) assetPath('images', path.slice(IMAGES.length + 1));
  const bytes = readFileSync(path);
  if (/\.png$/i.test(path)) {
    const png = PNG.sync.read(bytes);
    return { data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height };
  }
  if (/\.jpe?g$/i.test(path)) {
    const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
    return { data: j.data, width: j.width, height: j.height };
  }
  throw new Error(`loadImage: unsupported file type ${path}`);
}
