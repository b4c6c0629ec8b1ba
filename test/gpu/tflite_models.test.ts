/**
 * The imported TFLite models on WebGPU (Node + Dawn; SwiftShader in CI) vs the CPU executor on
 * the same Plan, on real photos; and the fused dispatch counts of the imported MobileNetV3-Small
 * classifiers against the native Small (their correctness against known labels and TF.js is
 * test/unit/tflite_import.test.ts).
 * Without a WebGPU adapter these tests FAIL; set MNV3_SKIP_GPU=1 to skip them explicitly.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, mobilenetV3, planSource, type Runtime } from '../../src/runtime.js';
import { importTflite, type TfliteImportOptions } from '../../src/import/tflite.js';
import { preprocessImage } from '../../src/model/preprocess.js';
import { compare } from '../helpers/compare.js';
import { IMAGES, loadImage } from '../helpers/images.js';
import { assetPath } from '../helpers/assets.js';

const SKIP = process.env.MNV3_SKIP_GPU === '1';
const UINT8 = assetPath('v3-small_224_1.0_uint8.tflite');
const INT8 = assetPath('Mobilenet_v3_small_quant.tflite');

const NATIVE_SMALL = 46;

interface Case {
  label: string;
  file: string;
  image: string;
  opts?: TfliteImportOptions;
  /** most dispatches allowed (classifiers: the native Small's plus what the file adds) */
  maxDispatches?: number;
}

const cases: Case[] = [
  // + softmax: TFLite's uint8 saturation clamps inside SE (the FC outputs, the gating multiply
  // x * s) ride in squeeze_excite's fc clamps and the seScale prologue's clamp, so every SE
  // block fuses like a native one
  { label: 'v3-small uint8, clamps all (default)', file: UINT8, image: 'chelsea.png', maxDispatches: NATIVE_SMALL + 1 },
  // + softmax: block 0's gate keeps a floor of 0.5 from the file's range [0, 3.68] of fc2 (a
  // bound at 0, so kept as an activation): squeeze_excite's fc2 clamp
  { label: 'v3-small uint8, clamps activations', file: UINT8, image: 'chelsea.png', opts: { clamps: 'activations' }, maxDispatches: NATIVE_SMALL + 1 },
  // + 1: the file's input QUANTIZE [0, 1] -> *2 -> -1 as one clamped affine 1x1 depthwise conv
  { label: 'v3-small int8 (auto: activations)', file: INT8, image: 'coffee.png', maxDispatches: NATIVE_SMALL + 1 },
  { label: 'selfie 256x256', file: assetPath('selfie_segmentation.tflite'), image: 'astronaut.png' },
  { label: 'selfie landscape 144x256', file: assetPath('selfie_segmentation_landscape.tflite'), image: 'astronaut.png' },
];

const top5 = (y: Float32Array): number[] => [...y.keys()].sort((a, b) => y[b] - y[a]).slice(0, 5);

describe.skipIf(SKIP)('TFLite models: WebGPU vs CPU', () => {
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

  it("quantized: 'int8' is refused on webgpu with the reason; the default runs the file in float", async () => {
    const src = importTflite(new Uint8Array(readFileSync(UINT8)), UINT8);
    await expect(gpu.load(src, { quantized: 'int8' })).rejects.toThrow(/runs on the wasm and cpu backends, not on webgpu/);
    const m = await gpu.load(src);
    expect(m.quantized).toBe('float');
    expect(m.quantizedReason).toMatch(/webgpu backend runs quantized files in float/);
    m.dispose();
  });

  it('native MobileNetV3-Small has the reference dispatch count', () => {
    expect(planSource(mobilenetV3({ size: 'small' })).stats.dispatches).toBe(NATIVE_SMALL);
  });

  for (const c of cases) {
    it(c.label, async () => {
      const src = importTflite(new Uint8Array(readFileSync(c.file)), c.file, c.opts);
      const x = preprocessImage(loadImage(`${IMAGES}/${c.image}`), src.preprocess!);
      const ref = await (await cpu.load(src)).run(x);
      // the adapter's default plan, and block fusion forced on (the hardware default: the file's
      // quantized clamps then ride in pointwise_chain's SE, gate and second-layer clamps)
      for (const blockFusion of [undefined, true]) {
        const model = await gpu.load(src, { blockFusion });
        try {
          expect(model.backend).toBe('webgpu');
          const got = await model.run(x);
          const cmp = compare(got, ref, 1e-3, 1e-3);
          const kernels: Record<string, number> = {};
          for (const s of model.plan.steps) kernels[s.kernel] = (kernels[s.kernel] ?? 0) + 1;
          const label = `${c.label}${blockFusion ? ' [block fusion]' : ''}`;
          console.log(`${label}: ${model.stats.dispatches} dispatches ${JSON.stringify(kernels)}, relL2 ${cmp.relL2.toExponential(2)}, max |d| ${cmp.maxAbs.toExponential(2)}`);
          expect(cmp.refMaxAbs).toBeGreaterThan(0.05);
          if (src.task?.kind === 'classification') {
            expect(cmp.relL2, label).toBeLessThan(1e-4);
            expect(top5(got), label).toEqual(top5(ref));
          } else {
            expect(cmp.maxAbs, label).toBeLessThan(1e-3);
          }
          if (c.maxDispatches !== undefined) expect(model.stats.dispatches).toBeLessThanOrEqual((blockFusion ? c.maxDispatches - 14 : c.maxDispatches) + (model.im2col ? 1 : 0));
        } finally {
          model.dispose();
        }
      }
    });
  }
});
