/**
 * Dense-prediction heads on WebGPU (Node + Dawn; SwiftShader in CI) vs the CPU executor, fused
 * and unfused: LR-ASPP in both forms (logits and class map) and SSDLite in both forms through
 * the GPU decode (ssd_decode: threshold + compaction with a workgroup atomic counter), whose
 * candidate rows come back in atomic (unspecified) order, so they are compared as sets, and
 * the detections after NMS are compared as lists. Without a WebGPU adapter these tests FAIL;
 * set MNV3_SKIP_GPU=1 to skip them explicitly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { lraspp, type LrasppOptions } from '../../src/heads/segmentation.js';
import { ssdlite, postprocessDetections, type SsdliteOptions } from '../../src/heads/detection.js';
import { readCandidateRows, type SsdCandidate } from '../../src/graph/ssd_decode.js';
import { compare, seededInput } from '../helpers/compare.js';

const SKIP = process.env.MNV3_SKIP_GPU === '1';

describe.skipIf(SKIP)('heads: WebGPU vs CPU', () => {
  let gpu: Runtime;
  let cpu: Runtime;

  beforeAll(async () => {
    gpu = await createRuntime({ backend: 'webgpu' });
    cpu = await createRuntime({ backend: 'cpu' });
    expect(gpu.backend).toBe('webgpu');
  });

  afterAll(() => {
    gpu?.dispose();
  });

  const segCases: [string, LrasppOptions][] = [
    ['LR-ASPP torchvision form, Large, 128x128', { resolution: 128, seed: 7 }],
    ['LR-ASPP tf form (windowed pooling), Large, [128, 160]', { form: 'tf', resolution: [128, 160], poolingCropSize: [65, 65], poolingStride: [1, 2], seed: 8 }],
    ['LR-ASPP torchvision form, Small 0.75 reduced tail, 96x96', { size: 'small', width: 0.75, reducedTail: true, resolution: 96, seed: 9 }],
  ];
  for (const [label, o] of segCases) {
    it(label, async () => {
      const src = lraspp(o);
      const { height: H, width: W, classes: C } = src.head;
      const x = seededInput(300, H, W);
      const [refLogits, refMask] = await (await cpu.load(src)).runAll(x);
      for (const fuse of [true, false]) {
        const model = await gpu.load(src, { fuse });
        try {
          const [logits, mask] = await model.runAll(x);
          const cmp = compare(logits, refLogits, 1e-3, 1e-3);
          expect(cmp.refMaxAbs).toBeGreaterThan(0.05);
          expect(cmp.violations, `fuse=${fuse}: ${JSON.stringify(cmp.worst)}`).toBe(0);
          expect(cmp.relL2).toBeLessThanOrEqual(1e-4);
          let differ = 0;
          for (let p = 0; p < H * W; p++) {
            if (mask[p] === refMask[p]) continue;
            // only a near-tie of the two best logits may flip
            const v = Array.from(refLogits.slice(p * C, (p + 1) * C)).sort((a, b) => b - a);
            expect(v[0] - v[1], `pixel ${p}`).toBeLessThan(1e-3);
            differ++;
          }
          expect(differ).toBeLessThan(H * W * 0.001 + 1);
        } finally {
          model.dispose();
        }
      }
    });
  }

  const key = (c: SsdCandidate): string => `${c.anchor}:${c.classId}`;

  // [label, options, also unfused]
  const detCases: [string, SsdliteOptions, boolean][] = [
    ['SSDLite torchvision form, Large (the COCO configuration), 320', { scoreThreshold: 0.2, maxCandidates: 20000, seed: 10 }, false],
    ['SSDLite tf form, Small 0.35, 320', { form: 'tf', size: 'small', width: 0.35, scoreThreshold: 0.9, maxCandidates: 20000, seed: 11 }, true],
    ['SSDLite torchvision form, Small 0.35, [256, 320]', { size: 'small', width: 0.35, resolution: [256, 320], scoreThreshold: 0.2, maxCandidates: 20000, seed: 12 }, true],
  ];
  for (const [label, o, unfused] of detCases) {
    it(`${label}: GPU decode + compaction == CPU`, async () => {
      const src = ssdlite(o);
      const x = seededInput(301, src.head.height, src.head.width);
      const refOut = await (await cpu.load(src)).runAll(x);
      const ref = readCandidateRows(refOut[0]);
      expect(ref.count).toBeGreaterThan(20);
      expect(ref.count).toBeLessThanOrEqual(ref.capacity);
      const refDet = postprocessDetections(refOut, src.head, { width: 640, height: 480 });
      expect(refDet.detections.length).toBeGreaterThan(0);
      const thr = src.head.decode.scoreThreshold;
      for (const fuse of unfused ? [true, false] : [true]) {
        const model = await gpu.load(src, { fuse });
        try {
          const out = await model.runAll(x);
          const got = readCandidateRows(out[0]);
          const byKey = new Map(got.candidates.map((c) => [key(c), c]));
          expect(byKey.size, 'no duplicate rows').toBe(got.candidates.length);
          let borderline = 0;
          for (const c of ref.candidates) {
            const g = byKey.get(key(c));
            if (!g) {
              expect(Math.abs(c.score - thr), `missing ${key(c)}`).toBeLessThan(1e-4);
              borderline++;
              continue;
            }
            expect(Math.abs(g.score - c.score)).toBeLessThan(1e-4);
            g.box.forEach((v, j) => expect(Math.abs(v - c.box[j])).toBeLessThan(1e-4));
          }
          expect(Math.abs(got.count - ref.count)).toBeLessThanOrEqual(borderline + 2);
          // the same detections; scores differ by ~1e-5 (f32 through a whole network), so
          // near-equal scores may swap places in the list
          const det = postprocessDetections(out, src.head, { width: 640, height: 480 }).detections;
          expect(det).toHaveLength(refDet.detections.length);
          const unused = new Set(det.keys());
          refDet.detections.forEach((r, i) => {
            const j = [...unused].find((k) => det[k].classId === r.classId && Math.abs(det[k].score - r.score) < 1e-4 && det[k].box.every((v, q) => Math.abs(v - r.box[q]) < 0.05));
            expect(j, `detection ${i} (${r.label} ${r.score})`).toBeDefined();
            expect(Math.abs(j! - i)).toBeLessThanOrEqual(3);
            unused.delete(j!);
          });
        } finally {
          model.dispose();
        }
      }
    });
  }

  it('SSDLite GPU decode overflow: the header counts every candidate, only capacity rows are written', async () => {
    const o: SsdliteOptions = { size: 'small', width: 0.35, scoreThreshold: 0.2, seed: 10 };
    const full = ssdlite({ ...o, maxCandidates: 20000 });
    const x = seededInput(302, 320, 320);
    const all = readCandidateRows((await (await cpu.load(full)).runAll(x))[0]);
    const small = ssdlite({ ...o, maxCandidates: 50 });
    const model = await gpu.load(small);
    try {
      const out = await model.runAll(x);
      const got = readCandidateRows(out[0]);
      expect(got.capacity).toBe(50);
      expect(Math.abs(got.count - all.count)).toBeLessThanOrEqual(2);
      expect(got.candidates).toHaveLength(50);
      const keys = new Set(all.candidates.map(key));
      for (const c of got.candidates) expect(keys.has(key(c)), key(c)).toBe(true);
      const r = postprocessDetections(out, small.head);
      expect(r.overflow).toBe(true);
      // the readback is the compact list: (capacity + 1) rows of 8 floats
      expect(out[0].length).toBe(51 * 8);
    } finally {
      model.dispose();
    }
  });
});
