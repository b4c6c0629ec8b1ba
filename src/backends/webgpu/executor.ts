/**
 * GPU executor: the Plan on WebGPU. Everything is created at load: one weights buffer, one
 * activation arena, one uniform buffer holding every step's Params at aligned offsets, one
 * bind group per step (explicit layouts from the KernelSpecs), pipelines compiled with
 * createComputePipelineAsync. A run is: writeBuffer(input) (or a caller's preprocess pass) ->
 * one command encoder with one compute pass (all dispatches) + copies of the outputs to a
 * staging buffer -> one submit -> mapAsync of that staging buffer, which comes from a ring of
 * two so the next run can be submitted while this one maps. Nothing is allocated per run.
 */
import type { Plan, BindingRef } from '../../graph/plan.js';
import { KERNELS } from '../../kernels/index.js';
import { SE_SCRATCH_VEC4 } from '../../kernels/squeeze_excite.js';
import { gpuParams, packParams, paramsByteSize, type KernelName } from '../../kernels/spec.js';
import { PipelineCache } from './pipelines.js';
import { tensorFloats } from '../../graph/layout.js';

export interface GpuRunTiming {
  /** GPU time of the whole pass from timestamp queries, when available */
  gpuMs?: number;
}

/** Records commands that write the model input (the input slot buffer) into `encoder`. */
export type GpuInputWriter = (encoder: GPUCommandEncoder, input: GPUBuffer) => void;

export interface GpuRunOptions {
  /** timestamp writes for the network's compute pass */
  timestampWrites?: GPUComputePassTimestampWrites;
  /** commands recorded after the output copies, in the same submit */
  epilogue?: (encoder: GPUCommandEncoder, outputs: GPUBuffer[]) => void;
  /** false: no output copies and no read-back (the outputs stay on the GPU; the run resolves to []) */
  readback?: boolean;
}

/** A submitted run: `outputs` resolves when its staging buffer is mapped and copied out. */
export interface GpuSubmitted {
  outputs: Promise<Float32Array[]>;
}

/**
 * Kernel variants the GPU executor picks for a plan's steps (LoadOptions.kernelVariants; what a
 * model got: model.kernelVariants). pointwise 'tiled': shaders/pointwise_tiled.wgsl
 * (workgroup-memory tiling, for hardware GPUs) in place of pointwise.wgsl for steps of at least
 * TILED_MIN_PIXELS pixels (the classifier's 1-pixel FCs stay on the register-blocked kernel).
 */
export interface KernelVariants {
  pointwise: 'basic' | 'tiled';
  /** global average pools, squeeze-excite pools and wide softmaxes: 'workgroup' (reductions through workgroup or scratch memory) or 'subgroups' (subgroupAdd / subgroupMax; needs the device feature) */
  reductions?: 'workgroup' | 'subgroups';
}
export const TILED_MIN_PIXELS = 32;

/** The kernel a plan step of `kernel` runs under these variants (`pixels`: the step's Params pixels, if any). */
export function variantKernel(kernel: KernelName, pixels: number | undefined, variants: KernelVariants): KernelName {
  const sg = variants.reductions === 'subgroups';
  if (variants.pointwise === 'tiled' && kernel === 'pointwise' && (pixels ?? 0) >= TILED_MIN_PIXELS) return 'pointwise_tiled';
  if (sg && kernel === 'global_pool') return 'global_pool_sg';
  if (sg && kernel === 'softmax') return 'softmax_sg';
  if (sg && kernel === 'argmax') return 'argmax_sg';
  if (sg && kernel === 'squeeze_excite') return 'squeeze_excite_sg';
  return kernel;
}

/** staging buffers in the ring: run k+1 is submitted while run k's read-back is still mapping */
export const STAGING_RING = 2;

export class GpuExecutor {
  private readonly buffers: GPUBuffer[] = [];
  private pipelines: GPUComputePipeline[] = [];
  private bindGroups: GPUBindGroup[] = [];
  private slots: GPUBuffer[] = [];
  private ring: { buffer: GPUBuffer; busy: Promise<void> }[] = [];
  private nextStaging = 0;
  private outputBytes = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  /** where the load time went (ms), and how many pipelines were new vs found in the cache */
  readonly loadProfile = { uploadMs: 0, pipelinesMs: 0, bindGroupsMs: 0, pipelines: 0, pipelinesCompiled: 0 };

  /** the kernel each step runs (the plan's, or its variant) and its dispatch size */
  private kernels: KernelName[] = [];
  private dispatches: [number, number, number][] = [];

  private constructor(
    readonly device: GPUDevice,
    readonly plan: Plan,
    /** the variants this executor runs */
    readonly variants: KernelVariants,
  ) {
    const sg = variants.reductions === 'subgroups';
    if (sg && !device.features.has('subgroups' as GPUFeatureName)) throw new Error("kernel variant reductions: 'subgroups' needs the WebGPU device feature 'subgroups', which this device lacks");
    this.kernels = plan.steps.map((s) => variantKernel(s.kernel, s.params.pixels, variants));
    this.dispatches = plan.steps.map((s, i) => (this.kernels[i] === s.kernel ? s.dispatch : KERNELS[this.kernels[i]].dispatchSize(s.params, s.overrides)));
  }

  /** steps running a variant kernel instead of the plan's */
  get variantSteps(): number {
    return this.kernels.filter((k, i) => k !== this.plan.steps[i].kernel).length;
  }

  static async create(device: GPUDevice, plan: Plan, cache = new PipelineCache(device), variants: KernelVariants = { pointwise: 'basic' }): Promise<GpuExecutor> {
    const ex = new GpuExecutor(device, plan, variants);
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    try {
      await ex.init(cache);
    } finally {
      const oom = await device.popErrorScope();
      const val = await device.popErrorScope();
      const err = oom ?? val;
      if (err) {
        ex.dispose();
        // eslint-disable-next-line no-unsafe-finally
        throw new Error(`WebGPU ${oom ? 'out of memory' : 'validation error'} while loading '${plan.name}': ${err.message}`);
      }
    }
    return ex;
  }

  private buffer(desc: GPUBufferDescriptor): GPUBuffer {
    const b = this.device.createBuffer(desc);
    this.buffers.push(b);
    return b;
  }

  private async init(cache: PipelineCache): Promise<void> {
    const { device, plan } = this;
    const t0 = performance.now();
    const weights = this.buffer({ label: `${plan.name}:weights`, size: plan.weights.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(weights, 0, plan.weights as Float32Array<ArrayBuffer>);
    this.slots = plan.slots.map((bytes, i) => this.buffer({ label: `${plan.name}:slot${i}`, size: Math.max(256, bytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC }));
    const dummy = this.buffer({ label: 'dummy', size: 256, usage: GPUBufferUsage.STORAGE });
    // an unused writable binding gets its own buffer (a buffer bound read-only and writable in one dispatch is invalid);
    // it doubles as the squeeze_excite kernel's scratch (steps run one after another)
    const dummyOut = this.buffer({ label: 'dummy-out', size: Math.max(256, SE_SCRATCH_VEC4 * 16), usage: GPUBufferUsage.STORAGE });
    this.outputBytes = plan.outputs.reduce((a, o) => a + tensorFloats(o) * 4, 0);
    for (let k = 0; k < STAGING_RING; k++) {
      this.ring.push({ buffer: this.buffer({ label: `${plan.name}:readback${k}`, size: Math.max(16, this.outputBytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }), busy: Promise.resolve() });
    }

    const align = device.limits.minUniformBufferOffsetAlignment;
    const offsets: number[] = [];
    let total = 0;
    for (const k of this.kernels) {
      offsets.push(total);
      total += Math.ceil(paramsByteSize(KERNELS[k]) / align) * align;
    }
    const params = this.buffer({ label: `${plan.name}:params`, size: Math.max(256, total), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const blob = new Uint8Array(Math.max(256, total));
    plan.steps.forEach((s, i) => {
      const spec = KERNELS[this.kernels[i]];
      blob.set(new Uint8Array(packParams(spec, gpuParams(spec, s.params, s.overrides))), offsets[i]);
    });
    device.queue.writeBuffer(params, 0, blob);

    const t1 = performance.now();
    const cachedBefore = cache.size;
    const compiled = await Promise.all(plan.steps.map((s, i) => cache.get(KERNELS[this.kernels[i]], s.overrides, s.label)));
    const t2 = performance.now();
    Object.assign(this.loadProfile, {
      uploadMs: t1 - t0,
      pipelinesMs: t2 - t1,
      pipelines: new Set(compiled.map((c) => c.pipeline)).size,
      pipelinesCompiled: cache.size - cachedBefore,
    });
    const resource = (b: BindingRef, writable: boolean): GPUBufferBinding => {
      switch (b.buffer) {
        case 'arena':
          return { buffer: this.slots[b.slot], offset: 0, size: b.size };
        case 'weights':
          return { buffer: weights };
        case 'dummy':
          return { buffer: writable ? dummyOut : dummy };
        default: {
          const never: never = b;
          throw new Error(`unknown binding ${JSON.stringify(never)}`);
        }
      }
    };
    this.pipelines = compiled.map((c) => c.pipeline);
    this.bindGroups = plan.steps.map((s, i) => {
      const spec = KERNELS[this.kernels[i]];
      const entries: GPUBindGroupEntry[] = spec.bindings.map((b) => {
        if (b.kind === 'uniform') return { binding: b.binding, resource: { buffer: params, offset: offsets[i], size: paramsByteSize(spec) } };
        const ref = s.bindings[b.name];
        if (!ref) throw new Error(`step ${s.label}: binding '${b.name}' missing from the plan`);
        return { binding: b.binding, resource: resource(ref, b.kind === 'storage') };
      });
      return device.createBindGroup({ label: s.label, layout: compiled[i].layout, entries });
    });
    this.loadProfile.bindGroupsMs = performance.now() - t2;
  }

  /** Records all dispatches of the plan into one compute pass. */
  encode(encoder: GPUCommandEncoder, timestampWrites?: GPUComputePassTimestampWrites): void {
    const pass = encoder.beginComputePass({ label: `${this.plan.name}:pass`, timestampWrites });
    this.plan.steps.forEach((s, i) => {
      pass.setPipeline(this.pipelines[i]);
      pass.setBindGroup(0, this.bindGroups[i]);
      pass.dispatchWorkgroups(...this.dispatches[i]);
    });
    pass.end();
  }

  /** input: padded NHWC floats of plan.input; resolves to the padded outputs. Runs are serialized. */
  run(input: Float32Array): Promise<Float32Array[]> {
    return this.runWith(input);
  }

  /**
   * Like run(), for callers that build part of the frame on the GPU (the frame path): `input`
   * is either padded NHWC floats (written with writeBuffer) or a function that records
   * commands writing the input slot (NHWC, channels padded to a multiple of 4) before the
   * network's pass, e.g. a preprocess dispatch reading a camera texture. `timestampWrites`
   * go on the network's compute pass; `epilogue` records commands after the output copies
   * (e.g. resolveQuerySet, a render pass reading the output buffers). Everything is one submit.
   */
  async runWith(input: Float32Array | GpuInputWriter, opts: GpuRunOptions = {}): Promise<Float32Array[]> {
    return (await this.submit(input, opts)).outputs;
  }

  /**
   * Encodes and submits one run; resolves once it is submitted, with a promise of its outputs.
   * Submits are serialized; read-backs go through a ring of STAGING_RING staging buffers, so
   * the next run can be submitted while this one's buffer is still mapping.
   */
  submit(input: Float32Array | GpuInputWriter, opts: GpuRunOptions = {}): Promise<GpuSubmitted> {
    const r = this.queue.then(() => this.submitNow(input, opts));
    this.queue = r.catch(() => undefined);
    return r;
  }

  /** the model's output tensors' GPU buffers (arena slots; valid until the next run is submitted) */
  get outputBuffers(): GPUBuffer[] {
    return this.plan.outputs.map((t) => this.slots[t.slot]);
  }

  private async submitNow(input: Float32Array | GpuInputWriter, opts: GpuRunOptions): Promise<GpuSubmitted> {
    if (this.disposed) throw new Error(`model '${this.plan.name}' was disposed`);
    const { device, plan } = this;
    const readback = opts.readback !== false;
    const slot = this.ring[this.nextStaging];
    if (readback) {
      this.nextStaging = (this.nextStaging + 1) % this.ring.length;
      await slot.busy;
      if (this.disposed) throw new Error(`model '${this.plan.name}' was disposed`);
    }
    const staging = slot.buffer;
    const inputBuffer = this.slots[plan.input.slot];
    const encoder = device.createCommandEncoder({ label: `${plan.name}:run` });
    if (input instanceof Float32Array) {
      if (input.length !== tensorFloats(plan.input)) throw new Error(`gpu executor: input has ${input.length} floats, expected ${tensorFloats(plan.input)}`);
      device.queue.writeBuffer(inputBuffer, 0, input.buffer as ArrayBuffer, input.byteOffset, input.byteLength);
    } else {
      input(encoder, inputBuffer);
    }
    this.encode(encoder, opts.timestampWrites);
    let o = 0;
    if (readback) {
      for (const t of plan.outputs) {
        encoder.copyBufferToBuffer(this.slots[t.slot], 0, staging, o, tensorFloats(t) * 4);
        o += tensorFloats(t) * 4;
      }
    }
    opts.epilogue?.(encoder, this.outputBuffers);
    device.queue.submit([encoder.finish()]);
    if (!readback) return { outputs: Promise.resolve([]) };
    const bytes = Math.max(16, this.outputBytes);
    const outputs = staging.mapAsync(GPUMapMode.READ, 0, bytes).then(() => {
      const all = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
      staging.unmap();
      let at = 0;
      return plan.outputs.map((t) => {
        const r = all.slice(at, at + tensorFloats(t));
        at += tensorFloats(t);
        return r;
      });
    });
    slot.busy = outputs.then(
      () => undefined,
      () => undefined,
    );
    return { outputs };
  }

  /**
   * Per-dispatch GPU time from timestamp queries: each step in its own compute pass with
   * begin/end timestamps (so the numbers include a pass boundary each). Needs the
   * 'timestamp-query' feature on the device. Sorted by time, slowest first.
   */
  async profile(input: Float32Array): Promise<{ label: string; node: string; kernel: string; ms: number }[]> {
    const { device, plan } = this;
    if (!device.features.has('timestamp-query')) throw new Error('profile: the device has no timestamp-query feature');
    const n = plan.steps.length;
    const qs = device.createQuerySet({ type: 'timestamp', count: 2 * n });
    const resolve = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      device.queue.writeBuffer(this.slots[plan.input.slot], 0, input.buffer as ArrayBuffer, input.byteOffset, input.byteLength);
      const e = device.createCommandEncoder({ label: `${plan.name}:profile` });
      plan.steps.forEach((s, i) => {
        const pass = e.beginComputePass({ label: s.label, timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
        pass.setPipeline(this.pipelines[i]);
        pass.setBindGroup(0, this.bindGroups[i]);
        pass.dispatchWorkgroups(...this.dispatches[i]);
        pass.end();
      });
      e.resolveQuerySet(qs, 0, 2 * n, resolve, 0);
      e.copyBufferToBuffer(resolve, 0, read, 0, 16 * n);
      device.queue.submit([e.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(read.getMappedRange().slice(0));
      read.unmap();
      return plan.steps
        .map((s, i) => ({ label: s.label, node: s.node, kernel: this.kernels[i], ms: Number(t[2 * i + 1] - t[2 * i]) / 1e6 }))
        .sort((a, b) => b.ms - a.ms);
    } finally {
      qs.destroy();
      resolve.destroy();
      read.destroy();
    }
  }

  /** Reads the start of an activation slot (debugging, per-layer tests). */
  async readSlot(slot: number, bytes: number): Promise<Float32Array> {
    const b = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const e = this.device.createCommandEncoder();
    e.copyBufferToBuffer(this.slots[slot], 0, b, 0, bytes);
    this.device.queue.submit([e.finish()]);
    await b.mapAsync(GPUMapMode.READ);
    const r = new Float32Array(b.getMappedRange().slice(0));
    b.destroy();
    return r;
  }

  get bufferCount(): number {
    return this.disposed ? 0 : this.buffers.length;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
  }
}
