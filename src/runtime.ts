/**
 * The public runtime: pick a backend, load a model (graph -> passes -> Plan -> executor),
 * run it. A model runs entirely on the GPU or entirely on the CPU (whole-graph fallback).
 */
import type { Graph } from './graph/ir.js';
import { validate } from './graph/shapes.js';
import type { Plan, PlanStats } from './graph/plan.js';
import { optimize } from './graph/passes/index.js';
import { schedule, type BlockFusion } from './graph/scheduler.js';
import { CpuExecutor } from './backends/cpu/executor.js';
import { GpuExecutor, type KernelVariants } from './backends/webgpu/executor.js';
import { WasmExecutor } from './backends/wasm/executor.js';
import { QuantExecutor } from './backends/wasm/qexecutor.js';
import { runQuantReference, type QProgram } from './graph/qprogram.js';
import { resolveWasmConfig, wasmKernelModule, wasmSimdSupported, type WasmConfig, type WasmOptions } from './backends/wasm/loader.js';
import { padChannels, unpadChannels } from './graph/layout.js';
import { requestGpu, type GpuContext } from './backends/webgpu/device.js';
import { PipelineCache } from './backends/webgpu/pipelines.js';
import { prewarmPipelines } from './backends/webgpu/prewarm.js';
import { resolveVariant, type MobileNetV3Options, type ResolvedVariant } from './graph/variants.js';
import { buildGraph } from './graph/mobilenetv3_graph.js';
import { calibrateBatchNorm } from './graph/calibrate.js';
import { loadTorchvisionSafetensors } from './import/torchvision_weights.js';
import { countGraph } from './graph/stats.js';
import { firstNonFinite, findNonFiniteWeight } from './graph/finite.js';
import { ModelFormatError } from './import/errors.js';
import { type Preprocess, type ImageLike, isImageLike, preprocessImage, PREPROCESS_PRESETS } from './model/preprocess.js';
import type { ModelSource, ModelTask } from './model/source.js';
import { FrameRunner } from './frame/runner.js';
import { startStream, type FrameStream, type StreamOptions, type StreamSource, type StreamStats } from './frame/stream.js';
import type { FrameOptions, FrameResult, FrameSource } from './frame/types.js';

export type { ModelSource, ModelTask } from './model/source.js';

export type Backend = 'webgpu' | 'wasm' | 'cpu';
export type BackendChoice = Backend | 'auto';

export interface RuntimeOptions {
  backend?: BackendChoice;
  /** use this device instead of requesting one (e.g. shared with a renderer) */
  device?: GPUDevice;
  /**
   * the wasm backend: threads (default 'auto': the hardware's, when the page is cross-origin
   * isolated; else 1, and rt.reason says why) and SIMD flavour (default 'auto': relaxed SIMD
   * where the engine validates it). What it got: `rt.wasm`.
   */
  wasm?: WasmOptions;
  /**
   * webgpu: start compiling the pipelines every MobileNetV3 plan uses as soon as the runtime
   * exists (default true), so they compile while the page fetches and imports the model file.
   * false: nothing is compiled before a load asks for it. `rt.prewarmed` settles when done.
   */
  prewarm?: boolean;
}

export interface LoadOptions {
  /** false: BatchNorm folding only, one dispatch per op (tests, benchmarks) */
  fuse?: boolean;
  /**
   * Plan-level block fusion (pointwise_chain steps: the SE gate computed inside the project conv,
   * and project + next expand in one dispatch). Default: on for the webgpu backend on a hardware
   * adapter; off on a software adapter (SwiftShader runs the extra workgroup barriers slower than
   * it saves dispatches, and compiles the chain pipelines slowly) and on wasm / cpu (which gain
   * nothing from fewer dispatches). true / false / { se, pairs } force it (benchmarks, tests).
   * Ignored with fuse: false. The model says what it got: `model.blockFusion`.
   */
  blockFusion?: boolean | Partial<BlockFusion>;
  /**
   * Dense convs over at most 4 input channels (the stem) as an im2col gather + the pointwise
   * GEMM (two dispatches instead of one conv2d). Default: on for the webgpu backend on a software
   * adapter (SwiftShader: a faster stem, and no conv2d pipeline to compile), off elsewhere.
   * Ignored with fuse: false. The model says what it got: `model.im2col`.
   */
  im2col?: boolean;
  /**
   * true (default): every run scans the input for NaN / Inf and rejects it with a RangeError
   * naming the first bad index (about 0.05 ms for a 224x224x3 input); false skips the scan
   */
  checkInput?: boolean;
  /**
   * A fully quantized file (TFLite uint8 / int8): 'int8' runs its integer program (int8
   * kernels with the file's scales, zero points and int32 biases; wasm, or the plain reference
   * on cpu); 'float' runs the dequantized float graph (every backend). Default: 'int8' on wasm
   * when the file is fully quantized and every op has an int8 kernel, else 'float'. Asking for
   * 'int8' where it cannot run is an error that says why. What it got: `model.quantized`.
   */
  quantized?: 'int8' | 'float';
  /**
   * WebGPU kernel variants: pointwise 'tiled' (workgroup-memory tiled GEMM) or 'basic' (the
   * register-blocked kernel), or 'timed': the model is built with both, each run once under
   * timestamp queries, and the faster kept (`model.kernelVariantTiming` says what was
   * measured). Default: 'timed' on a hardware adapter with timestamp queries, else 'basic'
   * (SwiftShader runs the tiled kernel's barriers several times slower). What it got:
   * `model.kernelVariants`. reductions: 'subgroups' (global pools and wide softmaxes with subgroupAdd / subgroupMax; the
   * default where the device has the 'subgroups' feature) or 'workgroup'.
   */
  kernelVariants?: Partial<KernelVariants> | 'timed';
}

/** kernelVariants 'timed': the pointwise variant is measured at load; the reductions are given */
interface TimedVariants {
  timed: true;
  reductions: KernelVariants['reductions'];
}

/** The cpu backend's int8 path: the plain integer reference (src/graph/qprogram.ts). */
class QuantReferenceExecutor {
  private disposed = false;
  constructor(readonly program: QProgram) {}
  runUnpadded(data: Float32Array): Float32Array[] {
    if (this.disposed) throw new Error(`model '${this.program.name}' was disposed`);
    return runQuantReference(this.program, data).outputs;
  }
  dispose(): void {
    this.disposed = true;
  }
}

export interface Tensor {
  data: Float32Array;
  h: number;
  w: number;
  c: number;
}

/**
 * The WebGPU device was lost (driver reset, GPU removed, `device.destroy()`, ...) before or
 * during a run. The run is rejected; the next run of any model of the runtime requests a new
 * device and recreates the model's GPU state (a device passed in by the caller cannot be
 * replaced: create a new runtime with a new device then).
 */
export class GpuDeviceLostError extends Error {
  constructor(
    readonly model: string,
    /** GPUDeviceLostInfo.reason: 'destroyed' or 'unknown' */
    readonly reason: string,
    readonly detail: string,
    readonly recoverable: boolean,
  ) {
    super(
      `model '${model}': the WebGPU device was lost (${reason}${detail ? `: ${detail}` : ''}); ` +
        (recoverable ? 'the next run requests a new device and reloads the model' : 'it was passed in by the caller, so create a new runtime with a new device'),
    );
    this.name = 'GpuDeviceLostError';
  }
}

/** Where a model's load time went, in ms (Runtime.load; `model.loadProfile`). */
export interface LoadProfile {
  /** source.graph(): import / build, weights decoded (0 when the source had built it already) */
  graphMs: number;
  /** validation, non-finite weight check and the optimization passes */
  passesMs: number;
  /** scheduling: plan, memory plan, weight packing */
  scheduleMs: number;
  /** the backend: GPU buffers + weight upload, pipelines, bind groups; wasm instance + copy */
  backendMs: number;
  totalMs: number;
  /** WebGPU: the backend part split, and distinct pipelines used / newly compiled (others came from the runtime's cache) */
  gpu?: { uploadMs: number; pipelinesMs: number; bindGroupsMs: number; pipelines: number; pipelinesCompiled: number };
}

export class Model {
  /** set by Runtime.load: where the load time went */
  loadProfile?: LoadProfile;
  /** set by Runtime.load from the source */
  preprocess?: Preprocess;
  task?: ModelTask;
  /** set by Runtime.load from the source: a native head's post-processing parameters (SSDLite anchors, LR-ASPP classes) */
  head?: unknown;
  /** set by Runtime.load from LoadOptions.checkInput */
  checkInput = true;
  private disposed = false;
  private frames: FrameRunner | null = null;
  /** 'int8': the file's integer program runs (LoadOptions.quantized); 'float' otherwise */
  quantized: 'int8' | 'float' = 'float';
  /** why a quantized file runs in float (the default picked float), else '' */
  quantizedReason = '';

  private constructor(
    readonly name: string,
    readonly backend: Backend,
    readonly plan: Plan,
    private readonly cpu: CpuExecutor | WasmExecutor | QuantExecutor | QuantReferenceExecutor | null,
    private gpu: GpuExecutor | null,
    private readonly owner: Runtime | null,
    /** the owner's device generation the GPU executor was built on */
    private generation = 0,
    /** the WebGPU kernel variants (null off WebGPU) */
    readonly kernelVariants: KernelVariants | null = null,
  ) {}

  /** kernelVariants 'timed': the GPU ms of one run of the whole pass with each pointwise variant (timestamp queries) */
  kernelVariantTiming?: { basicMs: number; tiledMs: number };

  /** @internal */
  static async create(name: string, plan: Plan, backend: Backend, owner: Runtime, program?: QProgram, variants?: KernelVariants | TimedVariants): Promise<Model> {
    if (program) {
      const w = owner.wasm;
      const ex = backend === 'wasm' ? await QuantExecutor.create(program, { threads: w!.threads, relaxed: w!.relaxed }) : new QuantReferenceExecutor(program);
      const m = new Model(name, backend, plan, ex, null, owner);
      m.quantized = 'int8';
      return m;
    }
    if (backend === 'webgpu') {
      const { device, cache, generation } = owner.gpuState();
      if (variants && 'timed' in variants) return Model.timed(name, plan, owner, device, cache, generation, variants.reductions);
      const v: KernelVariants = variants ?? { pointwise: 'basic' };
      return new Model(name, backend, plan, null, await GpuExecutor.create(device, plan, cache, v), owner, generation, v);
    }
    if (backend === 'wasm') {
      const w = owner.wasm!;
      return new Model(name, backend, plan, await WasmExecutor.create(plan, { threads: w.threads, relaxed: w.relaxed }), null, owner);
    }
    return new Model(name, backend, plan, new CpuExecutor(plan), null, owner);
  }

  /** kernelVariants 'timed': both pointwise variants built, one profiled run each (the best of two), the faster kept. */
  private static async timed(name: string, plan: Plan, owner: Runtime, device: GPUDevice, cache: PipelineCache, generation: number, reductions: KernelVariants['reductions']): Promise<Model> {
    const basic = await GpuExecutor.create(device, plan, cache, { pointwise: 'basic', reductions });
    if (!device.features.has('timestamp-query')) return new Model(name, 'webgpu', plan, null, basic, owner, generation, { pointwise: 'basic', reductions });
    let tiled: GpuExecutor;
    try {
      tiled = await GpuExecutor.create(device, plan, cache, { pointwise: 'tiled', reductions });
    } catch (e) {
      basic.dispose();
      throw e;
    }
    if (tiled.variantSteps === 0) {
      tiled.dispose();
      return new Model(name, 'webgpu', plan, null, basic, owner, generation, { pointwise: 'basic', reductions });
    }
    try {
      const x = new Float32Array(plan.input.h * plan.input.w * plan.input.c4 * 4).fill(0.5);
      const total = async (ex: GpuExecutor): Promise<number> => {
        let best = Infinity;
        for (let i = 0; i < 2; i++) best = Math.min(best, (await ex.profile(x)).reduce((a, s) => a + s.ms, 0));
        return best;
      };
      const basicMs = await total(basic);
      const tiledMs = await total(tiled);
      const [keep, drop, v] = tiledMs < basicMs ? [tiled, basic, 'tiled' as const] : [basic, tiled, 'basic' as const];
      drop.dispose();
      const m = new Model(name, 'webgpu', plan, null, keep, owner, generation, { pointwise: v, reductions });
      m.kernelVariantTiming = { basicMs, tiledMs };
      return m;
    } catch (e) {
      basic.dispose();
      tiled.dispose();
      throw e;
    }
  }

  /** Before a GPU run: a lost device is replaced (once per runtime) and this model rebuilt on it. */
  private async currentGpu(): Promise<GpuExecutor> {
    const owner = this.owner!;
    if (owner.deviceLost) await owner.recoverDevice(this.name);
    const { device, cache, generation } = owner.gpuState();
    if (generation !== this.generation) {
      this.gpu!.dispose();
      this.gpu = await GpuExecutor.create(device, this.plan, cache, this.kernelVariants ?? undefined);
      this.generation = generation;
    }
    return this.gpu!;
  }

  /** The plan-level block fusion this model runs with (LoadOptions.blockFusion), or null for one step per node. */
  get blockFusion(): { se: boolean; pairs: boolean } | null {
    return this.plan.blockFusion ?? null;
  }

  /** Whether the stem runs as im2col + pointwise GEMM (LoadOptions.im2col). */
  get im2col(): boolean {
    return this.plan.im2col === true;
  }

  get stats(): PlanStats {
    return this.plan.stats;
  }

  get inputShape(): { h: number; w: number; c: number } {
    const { h, w, c } = this.plan.input;
    return { h, w, c };
  }

  /** Bytes of WebAssembly memory held by this model (wasm backend; 0 otherwise or after dispose). */
  get wasmMemoryBytes(): number {
    return (this.cpu instanceof WasmExecutor || this.cpu instanceof QuantExecutor) && !this.disposed ? this.cpu.memoryBytes : 0;
  }

  /** GPU buffers (and the frame path's textures and query sets) held by this model (0 on the CPU path or after dispose). */
  get gpuBuffers(): number {
    return (this.gpu?.bufferCount ?? 0) + (this.frames?.gpuResources ?? 0);
  }

  /** The error for a GPU run that failed on `device`: a GpuDeviceLostError when the device was lost, else `e`. */
  private async gpuFailure(e: unknown, device: GPUDevice): Promise<unknown> {
    const lost = await this.owner!.lostAfter(device);
    return lost ? new GpuDeviceLostError(this.name, lost.reason, lost.message, this.owner!.ownsDevice) : e;
  }

  private frameRunner(): FrameRunner {
    this.frames ??= new FrameRunner({
      name: this.name,
      backend: this.backend,
      plan: this.plan,
      preprocess: this.preprocess,
      task: this.task,
      head: this.head,
      currentGpuExecutor: async () => {
        if (!this.gpu) return null;
        if (this.disposed) throw new Error(`model '${this.name}' was disposed`);
        return this.currentGpu();
      },
      runTensor: (x) => this.runAll(x),
      runImage: async (img) => this.runImageWasm(img),
      gpuFailure: (e, device) => this.gpuFailure(e, device),
    });
    return this.frames;
  }

  /**
   * Runs one frame (a video element, VideoFrame, ImageBitmap, canvas, ImageData, GPUTexture or
   * `{data, width, height}` pixels) through the model's own preprocessing and the network and
   * decodes it for the model's task. On webgpu the preprocessing is a GPU pass in the same
   * submit as the network, fed by the fastest path the browser accepts (`result.framePath`);
   * on wasm / cpu it runs on the CPU. See FrameOptions for the region of interest, labels,
   * keeping outputs on the GPU and recording your own commands in the same submit (e.g. a
   * segmentation mask drawn by createMaskOverlay, src/frame/overlay.ts).
   */
  runFrame(source: FrameSource, opts?: FrameOptions): Promise<FrameResult> {
    if (this.disposed) return Promise.reject(new Error(`model '${this.name}' was disposed`));
    return this.frameRunner().run(source, opts);
  }

  /**
   * Latest-frame-wins streaming: every frame of `source` (a video element, a ReadableStream of
   * VideoFrames, e.g. MediaStreamTrackProcessor.readable in a worker, or any object with
   * requestVideoFrameCallback) goes through runFrame unless one is in flight, in which case it
   * is dropped and counted (`stream.stats`). `onResult` gets each result.
   */
  stream(source: StreamSource, onResult: (result: FrameResult, stats: Readonly<StreamStats>) => void, opts?: StreamOptions): FrameStream {
    if (this.disposed) throw new Error(`model '${this.name}' was disposed`);
    return startStream((s, o) => this.runFrame(s, o), source, onResult, opts);
  }

  /** The WebGPU device this model runs on (e.g. to create textures for runFrame or configure a canvas), or null off WebGPU. */
  get device(): GPUDevice | null {
    return this.gpu?.device ?? null;
  }

  /** Runs the model on an NHWC float32 input of inputShape; resolves to the first output (NHWC, unpadded). */
  async run(input: Float32Array | Tensor | ImageLike): Promise<Float32Array> {
    return (await this.runAll(input))[0];
  }

  /** wasm: the image preprocessed in WASM straight into the input tensor, and run (null: not this model / backend) */
  private runImageWasm(img: ImageLike): { outputs: Float32Array[]; preprocessMs: number } | null {
    if (!this.preprocess || !(this.cpu instanceof WasmExecutor || this.cpu instanceof QuantExecutor)) return null;
    if (this.disposed) throw new Error(`model '${this.name}' was disposed`);
    return this.cpu.runImage(img, this.preprocess);
  }

  async runAll(input: Float32Array | Tensor | ImageLike): Promise<Float32Array[]> {
    const { h, w, c } = this.plan.input;
    if (isImageLike(input)) {
      if (!this.preprocess) throw new TypeError(`model '${this.name}' declares no preprocessing, so it takes tensors, not images`);
      const direct = this.runImageWasm(input);
      if (direct) return direct.outputs;
      input = preprocessImage(input, this.preprocess);
    }
    const data = input instanceof Float32Array ? input : input?.data;
    if (!(input instanceof Float32Array)) {
      if (!input || !(data instanceof Float32Array)) throw new TypeError(`model '${this.name}': input must be a Float32Array or {data: Float32Array, h, w, c}`);
      if (input.h !== h || input.w !== w || input.c !== c) {
        throw new RangeError(`model '${this.name}': input shape ${input.h}x${input.w}x${input.c} does not match the model input ${h}x${w}x${c} (NHWC)`);
      }
    }
    if (data.length !== h * w * c) {
      throw new RangeError(`model '${this.name}': input has ${data.length} values, expected ${h}x${w}x${c} = ${h * w * c} (NHWC float32)`);
    }
    if (this.checkInput) {
      const bad = firstNonFinite(data);
      if (bad >= 0) {
        const px = Math.floor(bad / c);
        throw new RangeError(
          `model '${this.name}': input value ${data[bad]} at index ${bad} (row ${Math.floor(px / w)}, column ${px % w}, channel ${bad % c}) is not finite; ` +
            'pass finite values, or load with { checkInput: false } to skip this check',
        );
      }
    }
    // wasm: the input goes straight into WASM memory and the outputs come out unpadded
    if (this.cpu instanceof WasmExecutor || this.cpu instanceof QuantExecutor || this.cpu instanceof QuantReferenceExecutor) return this.cpu.runUnpadded(data);
    const padded = padChannels(data, h * w, c);
    let outs: Float32Array[];
    if (this.gpu) {
      if (this.disposed) throw new Error(`model '${this.name}' was disposed`);
      const gpu = await this.currentGpu();
      try {
        outs = await gpu.run(padded);
      } catch (e) {
        throw await this.gpuFailure(e, gpu.device);
      }
    } else {
      outs = this.cpu!.run(padded);
    }
    return outs.map((o, i) => unpadChannels(o, this.plan.outputs[i].h * this.plan.outputs[i].w, this.plan.outputs[i].c));
  }

  /** The GPU executor, for advanced use (encoding into your own command encoder). */
  get gpuExecutor(): GpuExecutor | null {
    return this.gpu;
  }

  dispose(): void {
    this.disposed = true;
    this.frames?.dispose();
    this.frames = null;
    this.gpu?.dispose();
    if (this.cpu instanceof WasmExecutor || this.cpu instanceof QuantExecutor || this.cpu instanceof QuantReferenceExecutor) this.cpu.dispose();
  }
}

export class Runtime {
  private cache: PipelineCache | null;
  private ctx: GpuContext | null;
  private lost: GPUDeviceLostInfo | null = null;
  private generation = 0;
  private recovering: Promise<void> | null = null;
  private disposed = false;
  /** the wasm backend's threads and SIMD flavour (null off wasm) */
  wasm: WasmConfig | null = null;
  /** devices lost and replaced so far */
  get deviceRecoveries(): number {
    return this.generation;
  }

  private constructor(
    readonly backend: Backend,
    /** why this backend was chosen */
    readonly reason: string,
    gpu: GpuContext | null,
    /** false when the caller passed the device in (it cannot be replaced) */
    readonly ownsDevice = true,
  ) {
    this.ctx = gpu;
    this.cache = gpu ? new PipelineCache(gpu.device) : null;
    if (gpu) this.watch(gpu.device);
  }

  /** The current WebGPU adapter and device (a new one after a device loss), or null off WebGPU. */
  get gpu(): GpuContext | null {
    return this.ctx;
  }

  /** Why the current device was lost, while it is (the next run replaces it), else null. */
  get deviceLost(): string | null {
    return this.lost ? `${this.lost.reason}${this.lost.message ? `: ${this.lost.message}` : ''}` : null;
  }

  private watch(device: GPUDevice): void {
    void device.lost.then((info) => {
      if (this.ctx?.device === device && !this.disposed) this.lost = info;
    });
  }

  /** @internal */
  gpuState(): { device: GPUDevice; cache: PipelineCache; generation: number } {
    if (this.disposed) throw new Error('this runtime was disposed; create a new one');
    return { device: this.ctx!.device, cache: this.cache!, generation: this.generation };
  }

  /** @internal after a failed GPU run: the loss info when `device` was lost (waits briefly for the lost promise) */
  async lostAfter(device: GPUDevice): Promise<GPUDeviceLostInfo | null> {
    if (this.ctx?.device !== device) return { reason: 'unknown', message: 'the device was replaced during the run' } as GPUDeviceLostInfo;
    if (!this.lost) await Promise.race([device.lost, new Promise((r) => setTimeout(r, 200))]);
    return this.lost;
  }

  /** @internal requests a new device after a loss (shared by all models of this runtime) */
  recoverDevice(model: string): Promise<void> {
    if (this.disposed) return Promise.reject(new Error('this runtime was disposed; create a new one'));
    if (!this.ownsDevice) return Promise.reject(new GpuDeviceLostError(model, this.lost!.reason, this.lost!.message, false));
    this.recovering ??= (async () => {
      try {
        const ctx = await requestGpu();
        this.ctx = ctx;
        this.cache = new PipelineCache(ctx.device);
        this.lost = null;
        this.generation++;
        this.watch(ctx.device);
      } finally {
        this.recovering = null;
      }
    })();
    return this.recovering;
  }

  /** @internal */
  static async create(opts: RuntimeOptions = {}): Promise<Runtime> {
    const choice = opts.backend ?? 'auto';
    if (opts.prewarm !== undefined && typeof opts.prewarm !== 'boolean') throw new Error(`invalid option 'prewarm': ${JSON.stringify(opts.prewarm)} (expected true or false)`);
    if (!['webgpu', 'wasm', 'cpu', 'auto'].includes(choice)) throw new Error(`invalid option 'backend': '${String(choice)}' (expected 'webgpu', 'wasm', 'cpu' or 'auto')`);
    if (choice === 'cpu') return new Runtime('cpu', 'backend "cpu" requested', null);
    if (choice === 'wasm') {
      if (!wasmSimdSupported()) throw new Error("backend 'wasm' needs WebAssembly SIMD, which this JavaScript engine lacks");
      return Runtime.onWasm('backend "wasm" requested', opts.wasm);
    }
    if (opts.device) {
      return new Runtime('webgpu', 'device supplied by the caller', { device: opts.device, adapter: null as unknown as GPUAdapter, adapterName: 'caller device', isSoftware: false }, false).startPrewarm(opts.prewarm);
    }
    let ctx: GpuContext;
    try {
      ctx = await requestGpu();
    } catch (e) {
      if (choice === 'webgpu') throw e;
      const wasm = await wasmUsable();
      if (wasm === true) return Runtime.onWasm(`no WebGPU: ${(e as Error).message}; using the WebAssembly SIMD CPU path`, opts.wasm);
      return new Runtime('cpu', `no WebGPU: ${(e as Error).message}; using the CPU path (no wasm: ${wasm})`, null);
    }
    if (choice === 'auto' && ctx.isSoftware && (await wasmUsable()) === true) {
      // a software adapter (SwiftShader) runs these models several times slower than the wasm kernels
      ctx.device.destroy();
      return Runtime.onWasm(`WebGPU adapter '${ctx.adapterName}' is a software fallback; using the faster WebAssembly SIMD CPU path`, opts.wasm);
    }
    return new Runtime('webgpu', `WebGPU adapter: ${ctx.adapterName}`, ctx).startPrewarm(opts.prewarm);
  }

  /** pipelines being compiled ahead of the first load (RuntimeOptions.prewarm), null when none were */
  prewarmed: Promise<void> | null = null;

  private startPrewarm(on: boolean | undefined): this {
    if (on === false || !this.cache) return this;
    const v = this.kernelVariantsFor({});
    this.prewarmed = prewarmPipelines(this.cache, this.blockFusionDefault, { pointwise: 'basic', reductions: v.reductions });
    return this;
  }

  private static async onWasm(why: string, o: WasmOptions | undefined): Promise<Runtime> {
    const w = await resolveWasmConfig(o);
    await wasmKernelModule(w.variant);
    const rt = new Runtime('wasm', `${why}; wasm: ${w.reason}`, null);
    rt.wasm = w;
    return rt;
  }

  /** The WebGPU kernel variants of a load: LoadOptions.kernelVariants over the adapter's default ('timed' on hardware with timestamp queries). */
  private kernelVariantsFor(opts: LoadOptions): KernelVariants | TimedVariants {
    const o = opts.kernelVariants;
    if (o !== undefined && o !== 'timed' && (typeof o !== 'object' || o === null)) throw new Error(`invalid option 'kernelVariants': ${JSON.stringify(o)} (expected 'timed' or { pointwise: 'basic' | 'tiled', reductions: 'workgroup' | 'subgroups' })`);
    const given: Partial<KernelVariants> = typeof o === 'object' ? o : {};
    const rd = given.reductions;
    if (rd !== undefined && rd !== 'workgroup' && rd !== 'subgroups') throw new Error(`invalid option 'kernelVariants.reductions': '${String(rd)}' (expected 'workgroup' or 'subgroups')`);
    // subgroup pools where the device has the feature (SwiftShader: 5.6 vs 9.3 ms per Small frame)
    const reductions = rd ?? (this.ctx?.device.features.has('subgroups' as GPUFeatureName) ? 'subgroups' : 'workgroup');
    const pw = given.pointwise;
    if (pw !== undefined && pw !== 'basic' && pw !== 'tiled') throw new Error(`invalid option 'kernelVariants.pointwise': '${String(pw)}' (expected 'basic' or 'tiled')`);
    if (o === 'timed' || (pw === undefined && this.backend === 'webgpu' && !this.ctx?.isSoftware && this.ctx?.device.features.has('timestamp-query'))) return { timed: true, reductions };
    return { pointwise: pw ?? 'basic', reductions };
  }

  /** Whether loads fuse blocks by default (LoadOptions.blockFusion): webgpu on a hardware adapter. */
  get blockFusionDefault(): boolean {
    return this.backend === 'webgpu' && !this.ctx?.isSoftware;
  }

  /** Whether loads run the stem as im2col + GEMM by default (LoadOptions.im2col): webgpu on a software adapter. */
  get im2colDefault(): boolean {
    return this.backend === 'webgpu' && this.ctx?.isSoftware === true;
  }

  /** Plans a source without creating an executor (inspection, tests). */
  plan(source: ModelSource, opts: LoadOptions = {}): Plan {
    return planSource(source, opts, undefined, this.blockFusionDefault, this.im2colDefault);
  }

  async load(source: ModelSource, opts: LoadOptions = {}): Promise<Model> {
    const times: number[] = [];
    const plan = planSource(source, opts, times, this.blockFusionDefault, this.im2colDefault);
    const tb = performance.now();
    if (this.disposed) throw new Error('this runtime was disposed; create a new one');
    if (this.backend === 'webgpu' && this.lost) await this.recoverDevice(source.name);
    const q = quantizedChoice(source, this.backend, opts.quantized);
    const m = await Model.create(source.name, plan, this.backend, this, q.program, this.kernelVariantsFor(opts));
    m.quantizedReason = q.reason;
    m.preprocess = source.preprocess;
    m.task = source.task;
    m.head = (source as { head?: unknown }).head;
    m.checkInput = opts.checkInput ?? true;
    const end = performance.now();
    const [t0, t1, t2, t3] = times;
    const gpu = m.gpuExecutor?.loadProfile;
    m.loadProfile = { graphMs: t1 - t0, passesMs: t2 - t1, scheduleMs: t3 - t2, backendMs: end - tb, totalMs: end - t0, ...(gpu ? { gpu: { ...gpu } } : {}) };
    return m;
  }

  /** Destroys the runtime's own device (never one passed in by the caller). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.ownsDevice) this.ctx?.device.destroy();
  }
}

/** Which arithmetic a load runs (LoadOptions.quantized): the integer program, or null and why not. */
function quantizedChoice(source: ModelSource, backend: Backend, want: LoadOptions['quantized']): { program?: QProgram; reason: string } {
  if (want !== undefined && want !== 'int8' && want !== 'float') throw new Error(`invalid option 'quantized': '${String(want)}' (expected 'int8' or 'float')`);
  if (want === 'float') return { reason: '' };
  if (!source.quantProgram) {
    if (want === 'int8') throw new Error(`model '${source.name}': quantized: 'int8' needs a fully quantized model file (TFLite uint8 / int8); this one is float`);
    return { reason: '' };
  }
  if (backend === 'webgpu' && want === 'int8') throw new Error(`model '${source.name}': quantized: 'int8' runs on the wasm and cpu backends, not on webgpu (load with quantized: 'float', or use backend 'wasm')`);
  if (backend === 'webgpu') return { reason: 'the webgpu backend runs quantized files in float' };
  if (backend === 'cpu' && want === undefined) return { reason: "the cpu backend runs quantized files in float unless quantized: 'int8' is asked for" };
  try {
    return { program: source.quantProgram(), reason: '' };
  } catch (e) {
    if (want === 'int8') throw e;
    return { reason: (e as Error).message };
  }
}

/** true when the wasm backend can run here, else why not */
async function wasmUsable(): Promise<true | string> {
  if (!wasmSimdSupported()) return 'WebAssembly SIMD is not available';
  try {
    await wasmKernelModule();
    return true;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The block fusion a load uses (LoadOptions.blockFusion resolved; `byDefault`: the backend's default). */
export function blockFusionFor(byDefault: boolean, opts: LoadOptions): BlockFusion | undefined {
  if (opts.fuse === false) return undefined;
  const b = opts.blockFusion ?? byDefault;
  if (b === false) return undefined;
  if (b === true) return { se: true, pairs: true };
  return { se: b.se ?? true, pairs: b.pairs ?? true };
}

/**
 * `blockFusionDefault`: whether the backend fuses blocks unless opts say otherwise (Runtime: webgpu on a
 * hardware adapter); `im2colDefault` the same for LoadOptions.im2col (webgpu on a software adapter); `times`, when given, receives four performance.now() marks: start, graph built,
 * passes done, scheduled.
 */
export function planSource(source: ModelSource, opts: LoadOptions = {}, times?: number[], blockFusionDefault = false, im2colDefault = false): Plan {
  times?.push(performance.now());
  const g = source.graph();
  times?.push(performance.now());
  validate(g);
  const bad = findNonFiniteWeight(g);
  if (bad) {
    throw new ModelFormatError(source.name, `${bad.field} value ${bad.value} at index ${bad.index} is not finite; weights must be finite numbers`, bad.node);
  }
  if (opts.im2col !== undefined && typeof opts.im2col !== 'boolean') throw new Error(`invalid option 'im2col': ${JSON.stringify(opts.im2col)} (expected true or false)`);
  const optimized = optimize(g, opts);
  times?.push(performance.now());
  const plan = schedule(optimized, source.params ?? countGraph(g).params, {
    blockFusion: blockFusionFor(blockFusionDefault, opts),
    im2col: opts.fuse !== false && (opts.im2col ?? im2colDefault),
  });
  times?.push(performance.now());
  return plan;
}

export const createRuntime = (opts?: RuntimeOptions): Promise<Runtime> => Runtime.create(opts);

export interface MobileNetV3SourceOptions extends MobileNetV3Options {
  /** torchvision state_dict as safetensors bytes; default: seeded random weights (BN calibrated) */
  weights?: Uint8Array;
  /** file name used in error messages */
  weightsName?: string;
}

/** A native MobileNetV3 variant (spec sections 2-5). Options are validated here. */
export function mobilenetV3(opts: MobileNetV3SourceOptions): ModelSource {
  const variant = resolveVariant(opts);
  const build = (): Graph => {
    const g = buildGraph(variant);
    if (opts.weights) loadTorchvisionSafetensors(g, opts.weights, opts.weightsName ?? 'weights.safetensors');
    else calibrateBatchNorm(g, variant.options.seed);
    return g;
  };
  let cached: Graph | null = null;
  const params = countGraph(buildGraph(variant)).params;
  return {
    name: variant.name,
    variant,
    params,
    preprocess: { ...PREPROCESS_PRESETS.paper(), height: variant.options.resolution[0], width: variant.options.resolution[1] },
    task: { kind: 'classification', labelOffset: 0, softmax: false },
    graph: () => (cached ??= build()),
  };
}
