/**
 * The imported PaddleOCR ONNX models on WebGPU (Node + Dawn; SwiftShader in CI) vs the CPU
 * executor, fused and unfused, on rendered text. The detector runs at 128x128 to keep
 * SwiftShader time small. Without a WebGPU adapter these tests FAIL; MNV3_SKIP_GPU=1 skips.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { importOnnx } from '../../src/import/onnx.js';
import { preprocessImage } from '../../src/model/preprocess.js';
import { compare } from '../helpers/compare.js';
import { assetPath } from '../helpers/assets.js';
import { canvas, drawText, rotate180 } from '../helpers/text.js';

const SKIP = process.env.MNV3_SKIP_GPU === '1';
const DET = assetPath('ch_mobile_v1.1_det.onnx');
const CLS = assetPath('ch_ppocr_mobile_v2.0_cls_infer.onnx');

describe.skipIf(SKIP)('imported ONNX models: WebGPU vs CPU', () => {
  let gpu: Runtime;
  let cpu: Runtime;

  beforeAll(async () => {
    gpu = await createRuntime({ backend: 'webgpu' });
    cpu = await createRuntime({ backend: 'cpu' });
    expect(gpu.backend).toBe('webgpu');
  });

  afterAll(() => gpu?.dispose());

  const cases = [
    {
      label: 'text direction classifier 48x192',
      src: () => importOnnx(new Uint8Array(readFileSync(CLS)), CLS),
      inputs: () => {
        const img = canvas(192, 48);
        drawText(img, 'HELLO WORLD', 4, 10, 2);
        return [img, rotate180(img)];
      },
    },
    {
      label: 'text detector 128x128',
      src: () => importOnnx(new Uint8Array(readFileSync(DET)), DET, { inputHeight: 128, inputWidth: 128 }),
      inputs: () => {
        const img = canvas(128, 128);
        drawText(img, 'OCR 24', 12, 56, 2);
        return [img];
      },
    },
  ];

  for (const c of cases) {
    it(c.label, async () => {
      const src = c.src();
      const ref = await cpu.load(src);
      const fused = await gpu.load(src);
      const unfused = await gpu.load(src, { fuse: false });
      try {
        console.log(`${c.label}: dispatches fused ${fused.stats.dispatches}, unfused ${unfused.stats.dispatches}`);
        expect(fused.stats.dispatches).toBeLessThan(unfused.stats.dispatches);
        for (const img of c.inputs()) {
          const x = preprocessImage(img, src.preprocess!);
          const want = await ref.run(x);
          for (const [name, m] of [['fused', fused], ['unfused', unfused]] as const) {
            const y = await m.run(x);
            const cmp = compare(y, want, 1e-4, 1e-3);
            console.log(`${c.label} ${name}: max |d| ${cmp.maxAbs.toExponential(2)}, rel-L2 ${cmp.relL2.toExponential(2)}`);
            expect(cmp.refMaxAbs, 'CPU output is not all ~0').toBeGreaterThan(0.1);
            expect(cmp.violations, `${name}: worst ${JSON.stringify(cmp.worst)}`).toBe(0);
            expect(cmp.relL2, name).toBeLessThanOrEqual(1e-4);
          }
        }
      } finally {
        fused.dispose();
        unfused.dispose();
      }
    });
  }
});
