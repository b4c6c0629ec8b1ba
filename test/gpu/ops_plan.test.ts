/**
 * Plans with the importer ops (constant, binary, resize, concat, pad, pool2d, softmax,
 * conv_transpose, argmax) on WebGPU vs the CPU executor running the same plan, as imported and
 * optimized: the GPU executor's bindings (dummies, several concat dispatches into one output,
 * constants copied from the weights buffer, reused slots) must give the CPU executor's results.
 * Without a WebGPU adapter these tests FAIL; set MNV3_SKIP_GPU=1 to skip them explicitly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/backends/webgpu/device.js';
import { schedule } from '../../src/graph/scheduler.js';
import { optimize } from '../../src/graph/passes/index.js';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { GpuExecutor } from '../../src/backends/webgpu/executor.js';
import { padChannels } from '../../src/graph/layout.js';
import type { Graph } from '../../src/graph/ir.js';
import { Rng } from '../../src/graph/rng.js';
import { compare } from '../helpers/compare.js';
import { opGraphs } from '../helpers/op_graphs.js';

const SKIP = process.env.MNV3_SKIP_GPU === '1';

describe.skipIf(SKIP)('importer-op plans: WebGPU vs CPU executor', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await requestGpu(); // throws without an adapter: the tests fail, they do not skip
  });
  afterAll(() => gpu?.device.destroy());

  for (const t of opGraphs()) {
    for (const [label, prep] of [
      ['as imported', (h: Graph) => h],
      ['optimized', (h: Graph) => optimize(h)],
    ] as const) {
      it(`${t.name}, ${label}`, async () => {
        const plan = schedule(prep(t.graph));
        const s = t.graph.inputs[0].shape;
        const ex = await GpuExecutor.create(gpu.device, plan);
        try {
          for (const seed of [1, 2]) {
            const x = padChannels(new Rng(seed).fill(s.h * s.w * s.c, -1, 1), s.h * s.w, s.c);
            const want = new CpuExecutor(plan).run(x);
            const got = await ex.run(x);
            got.forEach((y, i) => {
              const c = compare(y, want[i], 1e-4, 1e-3);
              expect(c.violations, `${plan.outputs[i].name}: worst ${JSON.stringify(c.worst)}`).toBe(0);
            });
          }
        } finally {
          ex.dispose();
        }
      });
    }
  }
});
