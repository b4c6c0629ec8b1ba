/**
 * Shrinks screenshots for the README: RGBA PNG -> 8-bit indexed PNG (median-cut palette of
 * 256 colours over a 5-bit-per-channel histogram, nearest-colour mapping, no dithering so UI
 * text stays crisp). About 3x smaller than the RGB screenshot for photo-heavy pages.
 */
import { deflateSync, crc32 } from 'node:zlib';
import { PNG } from 'pngjs';

interface Box {
  keys: number[];
  count: number;
}

const channel = (key: number, c: number): number => (key >> (10 - 5 * c)) & 31;

function split(box: Box, hist: Uint32Array): [Box, Box] {
  // split along the widest channel at the weighted median
  let best = 0;
  let bestRange = -1;
  for (let c = 0; c < 3; c++) {
    let lo = 31;
    let hi = 0;
    for (const k of box.keys) {
      const v = channel(k, c);
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (hi - lo > bestRange) {
      bestRange = hi - lo;
      best = c;
    }
  }
  const keys = [...box.keys].sort((a, b) => channel(a, best) - channel(b, best));
  let acc = 0;
  let cut = 1;
  for (let i = 0; i < keys.length - 1; i++) {
    acc += hist[keys[i]];
    if (acc >= box.count / 2) {
      cut = i + 1;
      break;
    }
    cut = i + 1;
  }
  const a = keys.slice(0, cut);
  const b = keys.slice(cut);
  const sum = (ks: number[]): number => ks.reduce((s, k) => s + hist[k], 0);
  return [
    { keys: a, count: sum(a) },
    { keys: b, count: sum(b) },
  ];
}

/** RGBA pixels -> indexed PNG bytes (alpha ignored: screenshots are opaque). */
export function encodeIndexedPng(data: Uint8Array, width: number, height: number, colors = 256): Buffer {
  const hist = new Uint32Array(32768);
  const keyOf = (i: number): number => ((data[i] >> 3) << 10) | ((data[i + 1] >> 3) << 5) | (data[i + 2] >> 3);
  for (let i = 0; i < width * height * 4; i += 4) hist[keyOf(i)]++;
  const used: number[] = [];
  for (let k = 0; k < hist.length; k++) if (hist[k]) used.push(k);
  let boxes: Box[] = [{ keys: used, count: width * height }];
  while (boxes.length < colors) {
    // split the most populous box that can be split
    let idx = -1;
    for (let i = 0; i < boxes.length; i++) if (boxes[i].keys.length > 1 && (idx < 0 || boxes[i].count > boxes[idx].count)) idx = i;
    if (idx < 0) break;
    const [a, b] = split(boxes[idx], hist);
    boxes = [...boxes.slice(0, idx), a, b, ...boxes.slice(idx + 1)];
  }
  // palette: each box's weighted mean colour, from the exact pixels
  const sums = boxes.map(() => [0, 0, 0, 0]);
  const boxOfKey = new Int32Array(32768).fill(-1);
  boxes.forEach((b, i) => b.keys.forEach((k) => (boxOfKey[k] = i)));
  for (let i = 0; i < width * height * 4; i += 4) {
    const s = sums[boxOfKey[keyOf(i)]];
    s[0] += data[i];
    s[1] += data[i + 1];
    s[2] += data[i + 2];
    s[3]++;
  }
  const palette = sums.map((s) => [0, 1, 2].map((c) => Math.round(s[c] / Math.max(1, s[3]))));
  // nearest palette colour per histogram key (pixels of one key share it)
  const map = new Int16Array(32768).fill(-1);
  const nearest = (i: number): number => {
    const k = keyOf(i);
    if (map[k] < 0) {
      const [r, g, b] = [(channel(k, 0) << 3) + 4, (channel(k, 1) << 3) + 4, (channel(k, 2) << 3) + 4];
      let best = 0;
      let bd = Infinity;
      palette.forEach((p, j) => {
        const d = (p[0] - r) ** 2 + (p[1] - g) ** 2 + (p[2] - b) ** 2;
        if (d < bd) {
          bd = d;
          best = j;
        }
      });
      map[k] = best;
    }
    return map[k];
  };
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter: none (indexed images compress best unfiltered)
    for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = nearest((y * width + x) * 4);
  }
  const chunk = (type: string, body: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(type, 'ascii'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(tb) >>> 0);
    return Buffer.concat([len, tb, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // colour type: indexed
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('PLTE', Buffer.from(palette.flat())),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** PNG bytes (any colour type pngjs reads) -> indexed PNG bytes. */
export function shrinkPng(png: Buffer): Buffer {
  const img = PNG.sync.read(png);
  return encodeIndexedPng(new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength), img.width, img.height);
}
