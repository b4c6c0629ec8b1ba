/**
 * Fake-camera videos for Chromium (--use-file-for-fake-video-capture=FILE.y4m): a photo is
 * centre-cropped to the video's aspect ratio, resized (bilinear) and written as a few
 * identical YUV4MPEG2 4:2:0 frames. Chromium plays the file in a loop as the camera.
 *
 * Colour: Chromium decodes I420 frames as BT.601 limited range ("studio swing"), so that is
 * what we encode: Y = 16 + 219 * luma, Cb / Cr = 128 + 224 * (B' - Y') / 1.772 ... (the
 * standard 8-bit matrix below). Chroma is the mean of each 2x2 block (C420jpeg siting).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ImageLike } from '../../src/model/preprocess.js';
import { loadImage } from './images.js';

/** Central crop to width:height, then bilinear resize to width x height (RGBA out). */
export function fitImage(img: ImageLike, width: number, height: number): ImageLike & { data: Uint8Array } {
  const ch = img.data.length / (img.width * img.height);
  const target = width / height;
  let cw = img.width;
  let chh = img.height;
  if (img.width / img.height > target) cw = img.height * target;
  else chh = img.width / target;
  const x0 = (img.width - cw) / 2;
  const y0 = (img.height - chh) / 2;
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max(y0 + ((y + 0.5) * chh) / height - 0.5, 0), img.height - 1);
    const ya = Math.floor(sy);
    const yb = Math.min(ya + 1, img.height - 1);
    const fy = sy - ya;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max(x0 + ((x + 0.5) * cw) / width - 0.5, 0), img.width - 1);
      const xa = Math.floor(sx);
      const xb = Math.min(xa + 1, img.width - 1);
      const fx = sx - xa;
      for (let k = 0; k < 3; k++) {
        const p = (yy: number, xx: number): number => img.data[(yy * img.width + xx) * ch + k];
        const v = (p(ya, xa) * (1 - fx) + p(ya, xb) * fx) * (1 - fy) + (p(yb, xa) * (1 - fx) + p(yb, xb) * fx) * fy;
        out[(y * width + x) * 4 + k] = Math.round(v);
      }
      out[(y * width + x) * 4 + 3] = 255;
    }
  }
  return { data: out, width, height };
}

const clamp8 = (v: number): number => Math.min(255, Math.max(0, Math.round(v)));

/** RGBA image (even width and height) -> one I420 frame (Y plane, then U, then V). */
export function rgbaToI420(img: ImageLike): Uint8Array {
  const { width: w, height: h } = img;
  if (w % 2 || h % 2) throw new RangeError(`y4m: ${w}x${h} must have even sides for 4:2:0`);
  const ch = img.data.length / (w * h);
  const out = new Uint8Array((w * h * 3) / 2);
  const u0 = w * h;
  const v0 = u0 + (w * h) / 4;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * ch;
      const [r, g, b] = [img.data[i], img.data[i + 1], img.data[i + 2]];
      out[y * w + x] = clamp8(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
    }
  }
  for (let y = 0; y < h / 2; y++) {
    for (let x = 0; x < w / 2; x++) {
      let cb = 0;
      let cr = 0;
      for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
        const i = ((2 * y + dy) * w + 2 * x + dx) * ch;
        const [r, g, b] = [img.data[i], img.data[i + 1], img.data[i + 2]];
        cb += 128 + (-37.797 * r - 74.203 * g + 112 * b) / 255;
        cr += 128 + (112 * r - 93.786 * g - 18.214 * b) / 255;
      }
      out[u0 + y * (w / 2) + x] = clamp8(cb / 4);
      out[v0 + y * (w / 2) + x] = clamp8(cr / 4);
    }
  }
  return out;
}

/** A YUV4MPEG2 file of `frames` copies of the image. */
export function encodeY4m(img: ImageLike, frames = 3, fps = 15): Uint8Array {
  const header = new TextEncoder().encode(`YUV4MPEG2 W${img.width} H${img.height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  const frameHeader = new TextEncoder().encode('FRAME\n');
  const yuv = rgbaToI420(img);
  const out = new Uint8Array(header.length + frames * (frameHeader.length + yuv.length));
  out.set(header, 0);
  let o = header.length;
  for (let f = 0; f < frames; f++) {
    out.set(frameHeader, o);
    o += frameHeader.length;
    out.set(yuv, o);
    o += yuv.length;
  }
  return out;
}

/** Writes photo -> `out` (a width x height fake-camera video); returns the fitted RGBA frame. */
export function writePhotoY4m(photo: string, out: string, width = 320, height = 240, frames = 3): ImageLike & { data: Uint8Array } {
  const img = fitImage(loadImage(photo), width, height);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, encodeY4m(img, frames));
  return img;
}
