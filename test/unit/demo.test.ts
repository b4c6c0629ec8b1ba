/**
 * The demo's pure parts, in Node: the fake-camera Y4M writer (BT.601 limited range, as
 * Chromium decodes it), the region of interest, the page's view of the library's decoded results and the indexed-PNG
 * shrinker used for the README screenshots.
 */
import { describe, it, expect } from 'vitest';
import { PNG } from 'pngjs';
import { encodeY4m, fitImage, rgbaToI420 } from '../helpers/y4m.js';
import { roiOf } from '../../demo/app/frame_path.js';
import { toPage } from '../../demo/app/decode.js';
import { encodeIndexedPng } from '../../scripts/png_palette.js';

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
  it("roi: the central region at the input's aspect for classification, else the frame", () => {
    expect(roiOf({ width: 320, height: 240 }, 'center')).toEqual({ x: 40, y: 0, width: 240, height: 240 });
    expect(roiOf({ width: 300, height: 451 }, 'center')).toEqual({ x: 0, y: 75, width: 300, height: 300 });
    // a 48x192 text-direction classifier on a 640x480 frame: full width, 160 rows
    expect(roiOf({ width: 640, height: 480 }, 'center', 192 / 48)).toEqual({ x: 0, y: 160, width: 640, height: 160 });
    expect(roiOf({ width: 320, height: 240 }, 'full')).toEqual({ x: 0, y: 0, width: 320, height: 240 });
  });

  it('classify: the library top-5 with a name for every class', () => {
    const r = toPage({ kind: 'classification', top5: [{ index: 285, label: 'Egyptian cat', score: 0.3 }, { index: 7, score: 0.1 }] });
    expect(r.top5).toEqual([
      { index: 285, label: 'Egyptian cat', score: 0.3 },
      { index: 7, label: 'class 7', score: 0.1 },
    ]);
    expect(toPage(undefined)).toEqual({});
  });

  it('detect: CenterNet peaks of one object in neighbouring cells merged by class-wise NMS; other formats as decoded', () => {
    const d = (label: string, score: number, box: [number, number, number, number]) => ({ label, score, box });
    const dets = [d('person', 0.9, [10, 10, 50, 90]), d('person', 0.7, [12, 11, 52, 92]), d('dog', 0.6, [12, 11, 52, 92]), d('person', 0.5, [200, 10, 240, 90])];
    const c = toPage({ kind: 'detection', detections: dets }, { format: 'centernet' });
    expect(c.detections!.map((x) => `${x.label} ${x.score}`)).toEqual(['person 0.9', 'dog 0.6', 'person 0.5']);
    expect(c.detections![0].box).toEqual([10, 10, 50, 90]);
    expect(toPage({ kind: 'detection', detections: dets }, { format: 'ssdlite320' }).detections).toHaveLength(4);
    expect(() => toPage({ kind: 'features', outputs: 2 })).toThrow(/feature map/);
  });

  it('segment: a sigmoid mask as 0..255 probabilities at the model resolution (maskBytes), a class map with its labels', () => {
    // the library's decoded masks: a binary mask with its raw scores, and an LR-ASPP class map
    const scores = new Float32Array([0, 0.5, 1, 1.7]);
    const p = toPage({ kind: 'segmentation', mask: { mask: new Uint8Array(16), width: 4, height: 4, foregroundFraction: 0.5, scores, scoreWidth: 2, scoreHeight: 2 } });
    expect(p.mask).toMatchObject({ width: 2, height: 2, kind: 'probability' });
    expect(Array.from(p.mask!.data!)).toEqual([0, 128, 255, 255]);
    const c = toPage({ kind: 'segmentation', mask: { mask: new Uint8Array([2, 0]), width: 2, height: 1, foregroundFraction: 0.5 } }, { maskLabels: ['bg', 'a', 'b'] });
    expect(c.mask).toMatchObject({ kind: 'classes', width: 2, height: 1, labels: ['bg', 'a', 'b'] });
    expect(Array.from(c.mask!.data!)).toEqual([2, 0]);
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
