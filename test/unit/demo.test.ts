/**
 * The demo's pure parts, in Node: the fake-camera Y4M writer (BT.601 limited range, as
 * Chromium decodes it), the region of interest, the per-task decoding and the indexed-PNG
 * shrinker used for the README screenshots.
 */
import { describe, it, expect } from 'vitest';
import { PNG } from 'pngjs';
import { encodeY4m, fitImage, rgbaToI420 } from '../helpers/y4m.js';
import { roiOf } from '../../demo/app/frame_path.js';
import { decode, type DecodeContext } from '../../demo/app/decode.js';
import { encodeIndexedPng } from '../../scripts/png_palette.js';
import type { PlanTensor } from '../../src/graph/plan.js';

const solid = (w: number, h: number, rgb: [number, number, number]) => {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([...rgb, 255], i * 4);
  return { data, width: w, height: h };
};

describe('fake camera Y4M', () => {
  it('encodes BT.601 limited range: black 16, white 235, grey chroma 128, red Cr high', () => {
    expect(Array.from(rgbaToI420(solid(2, 2, [0, 0, 0])))).toEqual([16, 16, 16, 16, 128, 128]);
    expect(Array.from(rgbaToI420(solid(2, 2, [255, 255, 255])))).toEqual([235, 235, 235, 235, 128, 128]);
    const red = rgbaToI420(solid(2, 2, [255, 0, 0]));
    expect(red[0]).toBe(81);
    expect(red[4]).toBe(90); // Cb
    expect(red[5]).toBe(240); // Cr
  });

  it('writes the header and the frames', () => {
    const y4m = encodeY4m(solid(4, 2, [10, 20, 30]), 3);
    const text = new TextDecoder().decode(y4m.subarray(0, 60));
    expect(text).toMatch(/^YUV4MPEG2 W4 H2 F15:1 Ip A1:1 C420jpeg\nFRAME\n/);
    const header = text.indexOf('\n') + 1;
    expect(y4m.length).toBe(header + 3 * (6 + 12));
    expect(() => rgbaToI420(solid(3, 2, [0, 0, 0]))).toThrow(/even/);
  });

  it('fits a photo to the video aspect by a central crop', () => {
    // left half black, right half white, 8x2 -> 4:3 at 4x3 keeps the middle 2.67 columns
    const img = solid(8, 2, [0, 0, 0]);
    for (let y = 0; y < 2; y++) for (let x = 4; x < 8; x++) img.data.set([255, 255, 255], (y * 8 + x) * 4);
    const f = fitImage(img, 4, 3);
    expect(f.width).toBe(4);
    expect(f.data[0]).toBe(0);
    expect(f.data[3 * 4]).toBe(255);
  });
});

describe('demo decoding', () => {
  const out = (h: number, w: number, c: number): PlanTensor => ({ h, w, c }) as PlanTensor;
  const ctx = (o: Partial<DecodeContext>): DecodeContext => ({
    task: undefined,
    taskKind: 'classify',
    outputs: [],
    input: { h: 4, w: 4 },
    roi: { x: 0, y: 0, width: 4, height: 4 },
    labels: null,
    ...o,
  });

  it("roi: the central region at the input's aspect for classification, else the frame", () => {
    expect(roiOf({ width: 320, height: 240 }, 'center')).toEqual({ x: 40, y: 0, width: 240, height: 240 });
    expect(roiOf({ width: 300, height: 451 }, 'center')).toEqual({ x: 0, y: 75, width: 300, height: 300 });
    // a 48x192 text-direction classifier on a 640x480 frame: full width, 160 rows
    expect(roiOf({ width: 640, height: 480 }, 'center', 192 / 48)).toEqual({ x: 0, y: 160, width: 640, height: 160 });
    expect(roiOf({ width: 320, height: 240 }, 'full')).toEqual({ x: 0, y: 0, width: 320, height: 240 });
  });

  it('classify: background offset, labels only when they fit, softmax of logits', () => {
    const scores = new Float32Array(1001);
    scores[0] = 0.5; // background
    scores[286] = 0.3;
    scores[282] = 0.2;
    const labels = Array.from({ length: 1000 }, (_, i) => `label ${i}`);
    const r = decode([scores], ctx({ task: { kind: 'classification', labelOffset: 1, softmax: true }, labels }));
    expect(r.top5![0]).toEqual({ index: 285, label: 'label 285', score: expect.closeTo(0.3, 6) });
    expect(r.top5![1].index).toBe(281);
    const two = decode([new Float32Array([1, 3])], ctx({ task: { kind: 'classification', labelOffset: 0, softmax: false }, labels }));
    expect(two.top5!.map((c) => c.label)).toEqual(['class 1', 'class 0']);
    expect(two.top5![0].score).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
  });

  it('detect: CenterNet peaks mapped into the frame region, duplicates suppressed', () => {
    // 2x2 heatmap, 2 classes, input 8x8 (stride 4): one strong peak of class 0 at cell (1, 0)
    const heat = new Float32Array(2 * 2 * 2);
    heat[(0 * 2 + 1) * 2 + 0] = 0.9;
    heat[(1 * 2 + 1) * 2 + 0] = 0.2; // below the display threshold
    const wh = new Float32Array(2 * 2 * 4).fill(2);
    const r = decode([heat, wh], ctx({ taskKind: 'detect', task: { kind: 'detection', format: 'centernet' }, outputs: [out(2, 2, 2), out(2, 2, 4)], input: { h: 8, w: 8 }, roi: { x: 10, y: 20, width: 16, height: 8 } }));
    expect(r.detections).toHaveLength(1);
    expect(r.detections![0].label).toBe('person');
    // model box [4-2, 0-2, 4+2, 0+2] in 8x8 -> x * 2 + 10, y * 1 + 20
    expect(r.detections![0].box).toEqual([14, 18, 22, 22]);
    expect(() => decode([heat], ctx({ taskKind: 'detect', task: { kind: 'features' }, outputs: [out(2, 2, 2)] }))).toThrow(/not a detection format/);
  });

  it('segment: probabilities to 0..255, logits squashed, several channels by argmax', () => {
    const p = decode([new Float32Array([0, 0.5, 1, 1])], ctx({ taskKind: 'segment', outputs: [out(2, 2, 1)] }));
    expect(p.mask).toMatchObject({ width: 2, height: 2, kind: 'probability' });
    expect(Array.from(p.mask!.data)).toEqual([0, 128, 255, 255]);
    const l = decode([new Float32Array([-10, 0, 10, 0])], ctx({ taskKind: 'segment', outputs: [out(2, 2, 1)] }));
    expect(Array.from(l.mask!.data)).toEqual([0, 128, 255, 128]);
    const c = decode([new Float32Array([1, 2, 3, 3, 2, 1])], ctx({ taskKind: 'segment', outputs: [out(1, 2, 3)] }));
    expect(c.mask).toMatchObject({ kind: 'classes', width: 2, height: 1 });
    expect(Array.from(c.mask!.data)).toEqual([2, 0]);
  });
});

describe('indexed PNG for the README screenshots', () => {
  it('round-trips a few-colour image exactly', () => {
    const img = solid(5, 3, [10, 200, 30]);
    img.data.set([250, 0, 0, 255], 7 * 4);
    const png = PNG.sync.read(encodeIndexedPng(img.data, 5, 3));
    expect(png.width).toBe(5);
    expect(Array.from(png.data.subarray(0, 4))).toEqual([10, 200, 30, 255]);
    expect(Array.from(png.data.subarray(28, 32))).toEqual([250, 0, 0, 255]);
  });
});
