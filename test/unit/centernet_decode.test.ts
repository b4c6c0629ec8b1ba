/**
 * decodeCenterNet's one-pass top-k (a bounded heap that skips cells that cannot enter before the
 * 3x3 peak test) against the definition written out directly: every 3x3 peak, sorted by score
 * with ties to the lower flat index, the first k. Heatmaps with many ties (few levels) and
 * without, odd shapes, k = 0 / 1 / 7 / 100, with and without a score threshold.
 */
import { describe, expect, it } from 'vitest';
import { decodeCenterNet } from '../../src/heads/centernet.js';

function reference(hm: Float32Array, h: number, w: number, c: number, k: number): number[] {
  const peaks: number[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let q = 0; q < c; q++) {
        const v = hm[(y * w + x) * c + q];
        let peak = true;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w && hm[(yy * w + xx) * c + q] > v) peak = false;
          }
        if (peak) peaks.push((y * w + x) * c + q);
      }
  return peaks.sort((a, b) => hm[b] - hm[a] || a - b).slice(0, k);
}

describe('decodeCenterNet top-k', () => {
  const cases: [number, number, number, number][] = [];
  for (let t = 0; t < 24; t++) cases.push([1 + (t % 6) * 9, 1 + ((t * 5) % 9) * 7, 1 + (t % 4) * 13, t % 3 === 0 ? 3 : t % 3 === 1 ? 40 : 0]);
  it.each(cases)('%ix%ix%i, %i levels (0: continuous)', (h, w, c, levels) => {
    let s = h * 7919 + w * 31 + c;
    const rnd = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    const hm = new Float32Array(h * w * c).map(() => (levels ? Math.floor(rnd() * levels) / levels : rnd()));
    const wh = new Float32Array(h * w * 4).map(() => rnd() * 20);
    for (const topK of [0, 1, 7, 100]) {
      for (const minScore of [0, 0.4]) {
        const got = decodeCenterNet(hm, wh, { h, w, c }, { topK, minScore });
        const want = reference(hm, h, w, c, topK).filter((i) => hm[i] > minScore);
        expect(got.map((d) => [d.score, d.classId])).toEqual(want.map((i) => [hm[i], i % c]));
        got.forEach((d, j) => {
          const cell = (want[j] - (want[j] % c)) / c;
          const x = cell % w;
          const y = (cell - x) / w;
          expect(d.box).toEqual([x * 4 - wh[cell * 4], y * 4 - wh[cell * 4 + 1], x * 4 + wh[cell * 4 + 2], y * 4 + wh[cell * 4 + 3]]);
        });
      }
    }
  });
});
