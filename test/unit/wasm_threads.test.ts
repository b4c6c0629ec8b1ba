/**
 * The wasm backend's threads and relaxed SIMD (issue #11 parts 1-2), in Node:
 * - every build (baseline / relaxed SIMD x one thread / a worker pool on one shared memory)
 *   against the TypeScript CPU path on Large and Small (and variants): within the f32 tolerance
 *   of wasm_models.test.ts, same top-1;
 * - splitting rows across threads changes no arithmetic: the pool's output equals the
 *   single-threaded output of the same build bit for bit (every pixel / row is computed by the
 *   same instructions, only on another thread);
 * - rt.wasm / rt.reason say what was picked; invalid options are named; dispose stops the pool.
 * Vitest runs Node with --experimental-wasm-relaxed-simd (vitest.config.ts), so the relaxed
 * builds validate here; Node without the flag picks baseline SIMD and says why.
 */
import { describe, expect, it, vi } from 'vitest';
import { ThreadPool } from '../../src/backends/wasm/pool.js';
import { QuantExecutor } from '../../src/backends/wasm/qexecutor.js';
import { createRuntime, mobilenetV3, planSource, type MobileNetV3SourceOptions } from '../../src/runtime.js';
import { WasmExecutor } from '../../src/backends/wasm/executor.js';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { resolveWasmConfig, wasmRelaxedSimdSupported } from '../../src/backends/wasm/loader.js';
import { padChannels } from '../../src/graph/layout.js';
import { argmax, compare, seededInput } from '../helpers/compare.js';
import { readFileSync } from 'node:fs';
import { importTflite } from '../../src/import/tflite.js';
import { importOnnx } from '../../src/import/onnx.js';
import { preprocessImage } from '../../src/model/preprocess.js';
import { IMAGES, loadImage } from '../helpers/images.js';
import { assetPath } from '../helpers/assets.js';

function expectAgree(y: Float32Array, ref: Float32Array, what: string): void {
  const cmp = compare(y, ref, 1e-3, 1e-3);
  expect(cmp.refMaxAbs, 'CPU logits are not all ~0').toBeGreaterThan(0.05);
  expect(cmp.violations, `${what}: worst ${JSON.stringify(cmp.worst)}`).toBe(0);
  expect(cmp.relL2, what).toBeLessThanOrEqual(1e-5);
  expect(argmax(y), what).toBe(argmax(ref));
}

const cases: { label: string; opts: MobileNetV3SourceOptions; hw: [number, number] }[] = [
  { label: 'large 1.0 224', opts: { size: 'large', seed: 31 }, hw: [224, 224] },
  { label: 'small 1.0 224', opts: { size: 'small', seed: 32 }, hw: [224, 224] },
  { label: 'large 0.75 minimalistic [160, 224]', opts: { size: 'large', width: 0.75, minimalistic: true, resolution: [160, 224], seed: 33 }, hw: [160, 224] },
  { label: 'small 0.35 96', opts: { size: 'small', width: 0.35, resolution: 96, seed: 34 }, hw: [96, 96] },
];

it('this Node validates relaxed SIMD (vitest passes --experimental-wasm-relaxed-simd)', () => {
  expect(wasmRelaxedSimdSupported()).toBe(true);
});

describe('threads x relaxed SIMD vs the TypeScript CPU path', () => {
  for (const c of cases) {
    it(c.label, async () => {
      const plan = planSource(mobilenetV3(c.opts));
      const [H, W] = c.hw;
      const x = padChannels(seededInput(700 + cases.indexOf(c), H, W), H * W, 3);
      const ref = new CpuExecutor(plan).run(x)[0];
      for (const relaxed of [false, true]) {
        const one = await WasmExecutor.create(plan, { relaxed });
        // the tiny model's layers are below the split threshold: split them all anyway
        const pool = await WasmExecutor.create(plan, { relaxed, threads: 2, minSplitMacs: H < 128 ? 0 : undefined });
        try {
          expect(one.variant).toBe(relaxed ? 'relaxed' : 'simd');
          expect(pool.variant).toBe(relaxed ? 'threads-relaxed' : 'threads');
          expect(pool.threads).toBe(2);
          expect(pool.splitSteps, 'most conv steps are split').toBeGreaterThan(10);
          const y1 = one.run(x)[0];
          expectAgree(y1, ref, `${relaxed ? 'relaxed' : 'baseline'} 1 thread`);
          const y2 = pool.run(x)[0];
          expect(y2, `${relaxed ? 'relaxed' : 'baseline'}: 2 threads == 1 thread bit for bit`).toEqual(y1);
          expect(pool.run(x)[0]).toEqual(y2); // again: the pool carries nothing over
        } finally {
          one.dispose();
          pool.dispose();
        }
      }
    });
  }

  it('three threads split rows unevenly and still agree (SE-scaled pointwise both ways, residuals)', async () => {
    const plan = planSource(mobilenetV3({ size: 'large', width: 0.5, resolution: [104, 96], seed: 35 }));
    const x = padChannels(seededInput(799, 104, 96), 104 * 96, 3);
    const one = await WasmExecutor.create(plan);
    const three = await WasmExecutor.create(plan, { threads: 3, minSplitMacs: 0 });
    try {
      expect(three.threads).toBe(3);
      expect(three.run(x)[0]).toEqual(one.run(x)[0]);
    } finally {
      one.dispose();
      three.dispose();
    }
  });
});

describe('real decoder models on wasm (conv_transpose / resize in C, split over threads) vs the CPU path', () => {
  const models = [
    { label: 'MediaPipe selfie 256 (tflite)', src: () => importTflite(new Uint8Array(readFileSync(assetPath('selfie_segmentation.tflite'))), 'selfie_segmentation.tflite'), allWasm: true },
    { label: 'MediaPipe selfie landscape 144x256 (tflite)', src: () => importTflite(new Uint8Array(readFileSync(assetPath('selfie_segmentation_landscape.tflite'))), 'selfie_segmentation_landscape.tflite'), allWasm: true },
    { label: 'PP-OCR text detector 128 (onnx)', src: () => importOnnx(new Uint8Array(readFileSync(assetPath('ch_mobile_v1.1_det.onnx'))), 'ch_mobile_v1.1_det.onnx', { inputHeight: 128, inputWidth: 128 }), allWasm: false },
  ];
  for (const m of models) {
    it(m.label, async () => {
      const src = m.src();
      const plan = planSource(src);
      const x = preprocessImage(loadImage(`${IMAGES}/astronaut.png`), src.preprocess!);
      const xp = padChannels(x, plan.input.h * plan.input.w, 3);
      const ref = new CpuExecutor(plan).run(xp)[0];
      const kernels = new Set(plan.steps.map((s) => s.kernel));
      expect(kernels.has('conv_transpose') || kernels.has('resize'), [...kernels].join(',')).toBe(true);
      for (const opts of [{}, { threads: 2, relaxed: true }]) {
        const ex = await WasmExecutor.create(plan, opts);
        try {
          const twins = plan.steps.filter((_, i) => !ex.wasmSteps[i]).map((s) => s.kernel);
          // the decoder ops run in C now; anything else left as a TS twin is named here
          expect(twins.filter((k) => k === 'conv_transpose' || k === 'resize'), `${m.label}: TS twins ${twins.join(',')}`).toEqual([]);
          if (m.allWasm) expect(twins, m.label).toEqual([]);
          const y = ex.run(xp)[0];
          const cmp = compare(y, ref, 1e-3, 1e-3);
          expect(cmp.refMaxAbs, m.label).toBeGreaterThan(0.05);
          expect(cmp.maxAbs, `${m.label} ${JSON.stringify(opts)}`).toBeLessThan(1e-3);
        } finally {
          ex.dispose();
        }
      }
    });
  }
});

describe('runtime options', () => {
  it('rt.wasm says what was picked; the model runs on the pool and matches one thread', async () => {
    const src = mobilenetV3({ size: 'small', width: 0.75, resolution: 128, seed: 36 });
    const x = seededInput(800, 128, 128);
    const rt2 = await createRuntime({ backend: 'wasm', wasm: { threads: 2, simd: 'relaxed' } });
    const rt1 = await createRuntime({ backend: 'wasm', wasm: { threads: 1, simd: 'baseline' } });
    expect(rt2.wasm).toMatchObject({ threads: 2, relaxed: true, variant: 'threads-relaxed' });
    expect(rt2.reason).toMatch(/2 threads, relaxed SIMD/);
    expect(rt1.wasm).toMatchObject({ threads: 1, relaxed: false, variant: 'simd' });
    expect(rt1.reason).toMatch(/1 thread, SIMD128/);
    const m2 = await rt2.load(src);
    const m1 = await rt1.load(src);
    const y2 = await m2.run(x);
    expectAgree(y2, await m1.run(x), 'runtime 2 threads relaxed vs 1 thread baseline');
    m2.dispose();
    await expect(m2.run(x)).rejects.toThrow(/disposed/);
    // the other runtime is untouched
    expect(argmax(await m1.run(x))).toBe(argmax(y2));
    m1.dispose();
  });

  it("'auto' uses the hardware's threads here (Node: worker_threads, no isolation needed)", async () => {
    const w = await resolveWasmConfig();
    const os = await import('node:os');
    expect(w.threads).toBe(Math.min(8, os.availableParallelism()));
    expect(w.relaxed).toBe(true);
  });

  it('invalid options are named', async () => {
    await expect(createRuntime({ backend: 'wasm', wasm: { threads: 0 } })).rejects.toThrow(/'wasm.threads': 0/);
    await expect(createRuntime({ backend: 'wasm', wasm: { threads: 1.5 } })).rejects.toThrow(/'wasm.threads'/);
    await expect(createRuntime({ backend: 'wasm', wasm: { simd: 'fast' as 'auto' } })).rejects.toThrow(/'wasm.simd': 'fast'/);
    // and a valid runtime can still be made afterwards
    expect((await createRuntime({ backend: 'wasm', wasm: { threads: 1 } })).backend).toBe('wasm');
  });
});

describe('a thread pool that does not start (e.g. a CSP without worker-src blob:)', () => {
  it('the float and the int8 executor run on one thread, say why, and give the same result', async () => {
    const plan = planSource(mobilenetV3({ size: 'small', width: 0.35, resolution: 96, seed: 9 }));
    const x = seededInput(9, 96, 96);
    const xp = padChannels(x, 96 * 96, 3);
    const one = await WasmExecutor.create(plan, { threads: 1, relaxed: true });
    const want = one.run(xp)[0];
    one.dispose();
    const file = 'v3-small_224_1.0_uint8.tflite';
    const src = importTflite(new Uint8Array(readFileSync(assetPath(file))), file);
    const program = src.quantProgram!();
    const qx = preprocessImage(loadImage(`${IMAGES}/chelsea.png`), src.preprocess!);
    const q1 = await QuantExecutor.create(program, { threads: 1 });
    const qwant = q1.runUnpadded(qx)[0];
    q1.dispose();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const spy = vi.spyOn(ThreadPool, 'create').mockRejectedValue(new Error('Refused to create a worker from blob: (worker-src)'));
    try {
      const ex = await WasmExecutor.create(plan, { threads: 2, relaxed: true });
      expect(ex.poolError).toMatch(/worker-src/);
      expect(ex.threads).toBe(1);
      expect(Array.from(ex.run(xp)[0])).toEqual(Array.from(want));
      ex.dispose();
      const qe = await QuantExecutor.create(program, { threads: 2 });
      expect(qe.poolError).toMatch(/worker-src/);
      expect(qe.threads).toBe(1);
      expect(Array.from(qe.runUnpadded(qx)[0])).toEqual(Array.from(qwant));
      qe.dispose();
      expect(warn).toHaveBeenCalledTimes(2);
      expect(String(warn.mock.calls[0][0])).toMatch(/running single-threaded, the thread pool did not start/);
    } finally {
      spy.mockRestore();
      warn.mockRestore();
    }
  });
});
