/**
 * Synthetic text for the OCR models' tests: a small built-in 5x7 bitmap font (drawn for this
 * project), rendered as black strokes on a white RGBA canvas, plus a 180-degree rotation.
 */
import type { ImageLike } from '../../src/model/preprocess.js';

const GLYPHS: Record<string, string[]> = {
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  B: ['####.', '#...#', '#...#', '####.', '#...#', '#...#', '####.'],
  C: ['.###.', '#...#', '#....', '#....', '#....', '#...#', '.###.'],
  D: ['####.', '#...#', '#...#', '#...#', '#...#', '#...#', '####.'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  F: ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  G: ['.###.', '#...#', '#....', '#.###', '#...#', '#...#', '.####'],
  H: ['#...#', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  I: ['.###.', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  J: ['..###', '...#.', '...#.', '...#.', '...#.', '#..#.', '.##..'],
  K: ['#...#', '#..#.', '#.#..', '##...', '#.#..', '#..#.', '#...#'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  M: ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  N: ['#...#', '#...#', '##..#', '#.#.#', '#..##', '#...#', '#...#'],
  O: ['.###.', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  P: ['####.', '#...#', '#...#', '####.', '#....', '#....', '#....'],
  Q: ['.###.', '#...#', '#...#', '#...#', '#.#.#', '#..#.', '.##.#'],
  R: ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
  S: ['.####', '#....', '#....', '.###.', '....#', '....#', '####.'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  U: ['#...#', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  V: ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  W: ['#...#', '#...#', '#...#', '#.#.#', '#.#.#', '#.#.#', '.#.#.'],
  X: ['#...#', '#...#', '.#.#.', '..#..', '.#.#.', '#...#', '#...#'],
  Y: ['#...#', '#...#', '.#.#.', '..#..', '..#..', '..#..', '..#..'],
  Z: ['#####', '....#', '...#.', '..#..', '.#...', '#....', '#####'],
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['####.', '....#', '....#', '.###.', '....#', '....#', '####.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
};

export interface TextBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A white RGBA canvas. */
export function canvas(width: number, height: number): ImageLike & { data: Uint8Array } {
  return { data: new Uint8Array(width * height * 4).fill(255), width, height };
}

/**
 * Draws `text` (A-Z, 0-9, space) in black with its top-left corner at (x, y); each font pixel
 * becomes a scale x scale block, glyphs advance 6 font pixels. Returns the ink bounding box.
 */
export function drawText(img: ImageLike & { data: Uint8Array }, text: string, x: number, y: number, scale: number): TextBox {
  const box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  [...text.toUpperCase()].forEach((ch, i) => {
    const g = GLYPHS[ch];
    if (!g) throw new Error(`drawText: no glyph for '${ch}'`);
    g.forEach((row, gy) => {
      [...row].forEach((bit, gx) => {
        if (bit !== '#') return;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const px = x + (i * 6 + gx) * scale + dx;
            const py = y + gy * scale + dy;
            if (px < 0 || py < 0 || px >= img.width || py >= img.height) continue;
            img.data.fill(0, (py * img.width + px) * 4, (py * img.width + px) * 4 + 3);
            box.x0 = Math.min(box.x0, px);
            box.y0 = Math.min(box.y0, py);
            box.x1 = Math.max(box.x1, px + 1);
            box.y1 = Math.max(box.y1, py + 1);
          }
        }
      });
    });
  });
  return box;
}

/** The image turned by 180 degrees (upside down). */
export function rotate180(img: ImageLike): ImageLike & { data: Uint8Array } {
  const ch = img.data.length / (img.width * img.height);
  const out = new Uint8Array(img.data.length);
  const n = img.width * img.height;
  for (let p = 0; p < n; p++) for (let k = 0; k < ch; k++) out[(n - 1 - p) * ch + k] = img.data[p * ch + k];
  return { data: out, width: img.width, height: img.height };
}
