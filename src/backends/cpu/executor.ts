/**
 * CPU executor: runs a Plan step by step with the TypeScript twins of the WGSL kernels, on
 * one Float32Array per activation slot, laid out exactly like the GPU buffers. It is the
 * fallback when WebGPU is missing and the oracle the GPU path is tested against.
 */
import type { Plan, BindingRef } from '../../graph/plan.js';
import { CPU_KERNELS } from '../../kernels/cpu/index.js';
import { tensorFloats } from '../../graph/layout.js';

export class CpuExecutor {
  private readonly slots: Float32Array[];
  private readonly dummy = new Float32Array(4);
  private readonly views: Record<string, Float32Array>[];

  constructor(readonly plan: Plan) {
    this.slots = plan.slots.map((b) => new Float32Array(b / 4));
    const view = (b: BindingRef): Float32Array => {
      switch (b.buffer) {
        case 'arena':
          return this.slots[b.slot].subarray(0, b.size / 4);
        case 'weights':
          return plan.weights;
        case 'dummy':
          return this.dummy;
        default: {
          const never: never = b;
          throw new Error(`unknown binding ${JSON.stringify(never)}`);
        }
      }
    };
    this.views = plan.steps.map((s) => Object.fromEntries(Object.entries(s.bindings).map(([k, b]) => [k, view(b)])));
  }

  /** input: the padded NHWC input (plan.input.c4 * 4 floats per pixel); returns padded outputs. */
  run(input: Float32Array): Float32Array[] {
    const inp = this.plan.input;
    if (input.length !== tensorFloats(inp)) throw new Error(`cpu executor: input has ${input.length} floats, expected ${tensorFloats(inp)}`);
    this.slots[inp.slot].set(input);
    this.plan.steps.forEach((s, i) => CPU_KERNELS[s.kernel](this.views[i], s.params, s.overrides));
    return this.plan.outputs.map((o) => this.slots[o.slot].slice(0, tensorFloats(o)));
  }

  /** Runs and also returns every step's output (for per-layer comparisons). */
  runTraced(input: Float32Array): { outputs: Float32Array[]; steps: Float32Array[] } {
    const inp = this.plan.input;
    this.slots[inp.slot].set(input);
    const steps: Float32Array[] = [];
    this.plan.steps.forEach((s, i) => {
      CPU_KERNELS[s.kernel](this.views[i], s.params, s.overrides);
      steps.push(this.views[i].output.slice());
    });
    return { outputs: this.plan.outputs.map((o) => this.slots[o.slot].slice(0, tensorFloats(o))), steps };
  }
}
