/**
 * The demo's inference engine: one runtime, at most one live model, the frame path and the
 * task decoding. It runs in a Web Worker (engine_worker.ts) or, where workers are not
 * usable, on the page itself; the page talks to both through the same methods.
 *
 * Per frame (DESIGN.md section 4), chosen at run time, falling back on the first failure:
 *   GPU backend: 'external'  importExternalTexture(VideoFrame) -> GPU preprocess -> network
 *                'bitmap'    createImageBitmap -> copyExternalImageToTexture -> GPU preprocess
 *                'canvas'    canvas getImageData -> CPU preprocess -> writeBuffer
 *   CPU / wasm:  'canvas'    canvas getImageData -> CPU preprocess -> network
 * all in one submit on the GPU, with timestamp queries (when the device has them) around the
 * preprocess pass and the network pass. Only one frame is in flight: the page drops frames
 * that arrive meanwhile. Every operation is serialized.
 */
import { createRuntime, type Runtime, type Model, type Backend, type ModelSource } from '../../src/runtime.js';
import { preprocessImage, type ImageLike } from '../../src/model/preprocess.js';
import { padChannels } from '../../src/graph/layout.js';
import { FramePreprocessor, type FrameRoi, type FrameSourceKind } from '../../src/backends/webgpu/frame_preprocess.js';
import { entry, TASK_OF_MODEL_KIND, type BackendPick, type TaskKind } from './catalogue.js';
import { loadSource, specKey, type ModelSpec } from './sources.js';
import { decode, type Decoded } from './decode.js';
import { runGpu, createTimestamps, destroyTimestamps, TIMESTAMP_RESOURCES, type Timestamps, type GpuRunError } from './gpu_run.js';
import type { EngineStatus, ModelInfo, FrameRequest, FrameResult, Timings } from './engine_types.js';
import { PATH_TEXT, type PathState, frameSize, close, roiOf } from './frame_path.js';

export class Engine {
  /** set when importExternalTexture was followed by a device loss (kept across runtimes) */
  static externalBanned: string | null = null;
  private rt: Runtime | null = null;
  private model: Model | null = null;
  private info: ModelInfo | null = null;
  private head: { kind: string } | undefined;
  private sources = new Map<string, ModelSource>();
  private pre: FramePreprocessor | null = null;
  private ts: Timestamps | null = null;
  private lost: string | null = null;
  private labels: string[] | null = null;
  private labelsTried = false;
  private path: Record<FrameSourceKind, PathState> = { external: 'untried', bitmap: 'untried' };
  private lastPath = '';
  private canvas: OffscreenCanvas | HTMLCanvasElement | null = null;
  private serial: Promise<unknown> = Promise.resolve();
  /** loseDevice() was called: a loss that says nothing about the zero-copy path */
  private simulatedLoss = false;

  constructor(
    readonly thread: 'worker' | 'main',
    /** base URL for built-in model files and labels */
    readonly origin: string,
  ) {}

  /** runs `fn` after every earlier operation */
  private queue<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.serial.then(fn);
    this.serial = r.catch(() => undefined);
    return r;
  }

  /** Creates the runtime for a backend choice (disposing the old one and its model). */
  setBackend(pick: BackendPick): Promise<EngineStatus> {
    return this.queue(async () => {
      this.releaseGpu();
      this.rt?.dispose();
      this.rt = null;
      this.lost = null;
      this.simulatedLoss = false;
      this.path = { external: Engine.externalBanned ? { failed: Engine.externalBanned } : 'untried', bitmap: 'untried' };
      const rt = await createRuntime({ backend: pick });
      this.rt = rt;
      const device = rt.gpu?.device;
      if (device) {
        void device.lost.then((i) => {
          if (this.rt === rt && i.reason !== 'destroyed') this.lost = i.message || 'unknown reason';
        });
        this.pre = new FramePreprocessor(device);
        if (device.features.has('timestamp-query')) {
          this.ts = createTimestamps(device);
        }
      }
      return this.statusNow();
    });
  }

  status(): Promise<EngineStatus> {
    return this.queue(async () => this.statusNow());
  }

  /**
   * Destroys the GPU device now, outside the queue, so a frame in flight sees the loss (tests
   * and `window.__demo.loseDevice()`: what a driver reset does). Resolves to whether there was one.
   */
  async loseDevice(): Promise<boolean> {
    const device = this.rt?.gpu?.device;
    if (!device) return false;
    this.simulatedLoss = true;
    device.destroy();
    return true;
  }

  private statusNow(): EngineStatus {
    const rt = this.rt;
    const modelGpuBuffers = this.model?.gpuBuffers ?? 0;
    const own = (this.pre?.resourceCount ?? 0) + (this.ts ? TIMESTAMP_RESOURCES : 0);
    const gpuPre = this.gpuPreprocessUsable();
    const notes: string[] = [];
    for (const k of ['external', 'bitmap'] as const) {
      const s = this.path[k];
      if (typeof s === 'object') notes.push(`${k === 'external' ? 'importExternalTexture' : 'copyExternalImageToTexture'} failed: ${s.failed}`);
    }
    if (rt && rt.backend !== 'webgpu') notes.push(`the ${rt.backend} backend reads pixels on the CPU`);
    return {
      thread: this.thread,
      backend: rt?.backend ?? null,
      reason: rt?.reason ?? 'no runtime yet',
      adapter: rt?.gpu?.adapterName ?? null,
      timestampQuery: !!this.ts,
      liveGpuBuffers: modelGpuBuffers + own,
      modelGpuBuffers,
      framePath: this.lastPath || this.nextPathText(gpuPre),
      pathNotes: notes,
      acceptsVideoFrame: gpuPre && typeof VideoFrame === 'function' && typeof this.path.external !== 'object',
    };
  }

  private nextPathText(gpuPre: boolean): string {
    if (!this.rt) return '';
    if (!gpuPre) return PATH_TEXT[this.rt.backend === 'webgpu' ? 'canvas-gpu' : 'canvas'];
    return PATH_TEXT[typeof this.path.external === 'object' ? (typeof this.path.bitmap === 'object' ? 'canvas-gpu' : 'bitmap') : 'external'];
  }

  /** the model can take its input from the GPU preprocess pass */
  private gpuPreprocessUsable(): boolean {
    const m = this.model;
    if (!m || !m.gpuExecutor || !this.pre || !m.preprocess) return false;
    const i = m.plan.input;
    return i.c === 3 && i.h === m.preprocess.height && i.w === m.preprocess.width && typeof this.path.bitmap !== 'object';
  }

  private releaseGpu(): void {
    this.model?.dispose();
    this.model = null;
    this.info = null;
    this.pre?.dispose();
    this.pre = null;
    destroyTimestamps(this.ts);
    this.ts = null;
    this.lastPath = '';
  }

  /**
   * Loads a model (once per selection): the new model is built first and the old one disposed
   * only when that succeeded, so a bad file leaves the page running the previous model.
   * `task` is the page's task for built-in models; for other models it comes from the file.
   */
  load(spec: ModelSpec, task?: TaskKind): Promise<ModelInfo> {
    return this.queue(async () => {
      if (!this.rt) throw new Error('no runtime: choose a backend first');
      if (this.lost) throw new Error(`the GPU device was lost (${this.lost}); choose the backend again or use the CPU path`);
      const t0 = performance.now();
      const key = specKey(spec);
      let source = this.sources.get(key);
      if (!source) {
        source = await loadSource(spec, this.origin);
        this.sources.set(key, source);
        while (this.sources.size > 4) this.sources.delete(this.sources.keys().next().value!);
      }
      const kind = spec.kind === 'builtin' ? entry(spec.id)!.task : TASK_OF_MODEL_KIND[source.task?.kind ?? ''];
      if (!kind) {
        throw new Error(`${source.name}: its output is ${source.task?.kind === 'features' ? 'a feature map' : 'of no known kind'}, not a classification, detection or segmentation head, so the page cannot display it`);
      }
      if (task && spec.kind === 'builtin' && kind !== task) throw new Error(`model '${source.name}' is a ${kind} model, not ${task}`);
      if (!source.preprocess) throw new Error(`${source.name}: the model declares no image preprocessing, so it cannot take camera frames`);
      if (kind === 'classify') await this.loadLabels();
      const model = await this.rt.load(source);
      const old = this.model;
      this.model = model;
      old?.dispose();
      this.head = (source as { head?: { kind: string } }).head;
      const note = spec.kind === 'builtin' ? entry(spec.id)!.note : undefined;
      this.info = {
        key,
        name: source.name,
        task: kind,
        format: source.task && 'format' in source.task ? source.task.format : (source.task?.kind ?? ''),
        input: { h: model.plan.input.h, w: model.plan.input.w },
        dispatches: model.stats.dispatches,
        params: model.stats.params,
        backend: model.backend,
        loadMs: performance.now() - t0,
        ...(note ? { note } : {}),
      };
      this.lastPath = '';
      return this.info;
    });
  }

  private async loadLabels(): Promise<void> {
    if (this.labelsTried) return;
    this.labelsTried = true;
    try {
      const r = await fetch(new URL('/labels/imagenet_labels.json', this.origin).href);
      if (r.ok) this.labels = (await r.json()) as string[];
    } catch {
      this.labels = null; // shown as "class k"
    }
  }

  unload(): Promise<EngineStatus> {
    return this.queue(async () => {
      this.model?.dispose();
      this.model = null;
      this.info = null;
      return this.statusNow();
    });
  }

  /** Runs one frame; the source is closed here. Resolves to null when no model is loaded. */
  frame(req: FrameRequest): Promise<FrameResult | null> {
    return this.queue(async () => {
      const made: ImageBitmap[] = [];
      try {
        return await this.frameNow(req, made);
      } finally {
        close(req.source);
        for (const b of made) close(b);
      }
    });
  }

  /** `made`: bitmaps created here, closed by the caller */
  private async frameNow(req: FrameRequest, made: ImageBitmap[]): Promise<FrameResult | null> {
    const model = this.model;
    const info = this.info;
    if (!model || !info) return null;
    if (this.lost) throw new Error(`the GPU device was lost (${this.lost}); choose the backend again or use the CPU path`);
    const pre = model.preprocess!;
    const t0 = performance.now();
    const size = frameSize(req.source);
    const roi = roiOf(size, req.roi, info.input.w / info.input.h);
    let outs: Float32Array[] | null = null;
    let timings: Omit<Timings, 'postMs' | 'totalMs'> | null = null;
    let pathText = '';
    let gpuPre = false;

    if (this.gpuPreprocessUsable()) {
      let source = req.source;
      const kinds: FrameSourceKind[] = [];
      if (typeof VideoFrame === 'function' && source instanceof VideoFrame && typeof this.path.external !== 'object') kinds.push('external');
      kinds.push('bitmap');
      for (const kind of kinds) {
        if (kind === 'bitmap' && typeof VideoFrame === 'function' && source instanceof VideoFrame) {
          // copyExternalImageToTexture refuses camera VideoFrames on some browsers; a bitmap works
          const bmp = await createImageBitmap(source);
          made.push(bmp);
          source = bmp;
          req = { ...req, source: bmp };
        }
        try {
          const r = await runGpu(model, this.ts, (ts) => this.pre!.prepare(source, kind, pre, roi, ts));
          this.path[kind] = 'ok';
          outs = r.outs;
          timings = r.timings;
          pathText = PATH_TEXT[kind];
          gpuPre = true;
          break;
        } catch (e) {
          const msg = (e as Error).message;
          if (this.lost || (e as GpuRunError).stage === 'run') {
            // the browser took the frame, then the device broke at the submit (seen with
            // ANGLE's SwiftShader and importExternalTexture): never use that path again
            this.lost ??= msg;
            if (kind === 'external' && !this.simulatedLoss) Engine.externalBanned = `the GPU device broke right after it (${this.lost})`;
            throw new Error(`the GPU device was lost (${this.lost})`);
          }
          this.path[kind] = { failed: msg };
        }
      }
    }
    if (!outs) {
      const ta = performance.now();
      const pixels = this.grab(req.source, roi);
      const x = preprocessImage(pixels, pre);
      const preMs = performance.now() - ta;
      if (model.gpuExecutor) {
        const i = model.plan.input;
        const padded = padChannels(x, i.h * i.w, i.c);
        const r = await runGpu(model, this.ts, () => padded).catch((e: unknown) => {
          if ((e as GpuRunError).stage !== 'run') throw e;
          this.lost ??= (e as Error).message;
          throw new Error(`the GPU device was lost (${this.lost})`);
        });
        outs = r.outs;
        timings = { ...r.timings, preMs };
        pathText = PATH_TEXT['canvas-gpu'];
      } else {
        const tb = performance.now();
        outs = await model.runAll(x);
        timings = { preMs, netMs: performance.now() - tb, readMs: null, gpuTimed: false };
        pathText = PATH_TEXT.canvas;
      }
    }
    this.lastPath = pathText;
    const tp = performance.now();
    const decoded = decode(outs, { task: model.task, taskKind: info.task, outputs: model.plan.outputs, input: info.input, roi, labels: this.labels, head: this.head });
    const t1 = performance.now();
    return {
      ...decoded,
      modelKey: info.key,
      frame: size,
      roi,
      timings: { ...timings!, postMs: t1 - tp, totalMs: t1 - t0 },
      path: pathText,
      dispatches: model.stats.dispatches + (gpuPre ? 1 : 0),
      status: this.statusNow(),
    };
  }

  /** Pixels of the region of interest, read through a 2D canvas. */
  private grab(source: ImageBitmap | VideoFrame, roi: FrameRoi): ImageLike {
    if (!this.canvas) {
      this.canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(roi.width, roi.height) : document.createElement('canvas');
    }
    const c = this.canvas;
    if (c.width !== roi.width || c.height !== roi.height) {
      c.width = roi.width;
      c.height = roi.height;
    }
    const ctx = c.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
    if (!ctx) throw new Error('this browser gives no 2D canvas context to read camera pixels');
    ctx.drawImage(source, roi.x, roi.y, roi.width, roi.height, 0, 0, roi.width, roi.height);
    return ctx.getImageData(0, 0, roi.width, roi.height);
  }

  dispose(): void {
    this.releaseGpu();
    this.rt?.dispose();
    this.rt = null;
  }
}
