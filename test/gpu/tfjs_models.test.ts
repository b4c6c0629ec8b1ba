/**
 * The imported TF.js graph models (MediaPipe selfie, CenterNet, RVM encoder + LR-ASPP) on
 * WebGPU (Node + Dawn; SwiftShader in CI) vs the CPU executor on the same Plan, on real
 * photos. Their correctness against TF.js is test/unit/tfjs_import.test.ts; this checks the
 * GPU path for the ops these models bring (transposed conv, resize, concat, dilated
 * depthwise, affine 1x1 depthwise, SE with exact hard-sigmoid constants).
 * Without a WebGPU adapter these tests FAIL; set MNV3_SKIP_GPU=1 to skip them explicitly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { importTfjs, type TfjsImportOptions } from '../../src/import/tfjs.js';
import { preprocessImage } from '../../src/model/preprocess.js';
import { decodeCenterNet } from '../../src/heads/centernet.js';
import { compare } from '../helpers/compare.js';
import { IMAGES, loadImage } from '../helpers/images.js';
import { HUMAN_MODELS, readModelFiles } from '../helpers/tfjs_peer.js';

const SKIP = process.env.MNV3_SKIP_GPU === '1';

const cases: { model: string; image: string; opts?: TfjsImportOptions }[] = [
  { model: 'selfie', image: 'astronaut.png' },
  { model: 'rvm', image: 'messi5.jpg', opts: { inputHeight: 192, inputWidth: 256 } },
  { model: 'centernet', image: 'messi5.jpg' },
];

describe.skipIf(SKIP)('TF.js models: WebGPU vs CPU', () => {
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

  for (const c of cases) {
    it(`${c.model} on ${c.image}`, async () => {
      const f = readModelFiles(HUMAN_MODELS, c.model);
      const src = importTfjs(f.json, f.readWeights, `${c.model}.json`, c.opts);
      const x = preprocessImage(loadImage(`${IMAGES}/${c.image}`), src.preprocess!);
      const ref = await (await cpu.load(src)).runAll(x);
      const model = await gpu.load(src);
      try {
        expect(model.backend).toBe('webgpu');
        const got = await model.runAll(x);
        expect(got).toHaveLength(ref.length);
        got.forEach((y, i) => {
          const cmp = compare(y, ref[i], 1e-3, 1e-3);
          console.log(`${c.model} output ${i}: ${model.stats.dispatches} dispatches, relL2 ${cmp.relL2.toExponential(2)}, max |d| ${cmp.maxAbs.toExponential(2)}`);
          expect(cmp.refMaxAbs).toBeGreaterThan(0.05);
          expect(cmp.violations, `output ${i}: worst ${JSON.stringify(cmp.worst)}`).toBe(0);
          expect(cmp.relL2).toBeLessThanOrEqual(1e-4);
        });
        if (c.model === 'centernet') {
          const labels = (o: Float32Array[]): string[] => decodeCenterNet(o[0], o[1], { h: 128, w: 128, c: 80 }, { minScore: 0.3 }).map((d) => d.label);
          expect(labels(got)).toEqual(labels(ref));
          expect(labels(got)).toEqual(expect.arrayContaining(['person', 'sports ball']));
        }
      } finally {
        model.dispose();
      }
    });
  }
});
