/**
 * The demo's inference engine: one runtime, at most one live model, and each frame through
 * the library's public frame API (model.runFrame). It runs in a Web Worker (engine_worker.ts)
 * or, where workers are not usable, on the page itself; the page talks to both through the
 * same methods.
 *
 * Per frame the library picks the path (FRAME_PATH_TEXT): on WebGPU importExternalTexture
 * (VideoFrame) -> copyExternalImageToTexture -> CPU pixels, the preprocess pass and the
 * network in one submit, GPU timestamps where the device has them; on wasm / cpu the CPU
 * preprocessing. Segmentation masks on WebGPU stay on the GPU: a MaskOverlay draws them,
 * tinted, onto the page's mask layer (an OffscreenCanvas) in the same submit; readMask() reads
 * the last one back only when the page asks (its coverage figure, tests). Where drawing into a
 * WebGPU canvas loses the device (headless chromium on SwiftShader), a probe at setBackend
 * finds out before any model loads, and masks are read back and drawn on the CPU instead.
 * Only one frame is in flight: the page drops frames that arrive meanwhile. Every operation
 * is serialized.
 */
import {
  createRuntime,
  createMaskOverlay,
  decodeOutputs,
  maskBytes,
  FRAME_PATH_TEXT,
  type Runtime,
  type Model,
  type ModelSource,
  type MaskOverlay,
  type GpuOutputs,
  type FrameRegion,
} from '../../src/index.js';
import { entry, TASK_OF_MODEL_KIND, type BackendPick, type TaskKind } from './catalogue.js';
import { loadSource, specKey, type ModelSpec } from './sources.js';
import { toPage, type MaskResult } from './decode.js';
import type { EngineStatus, ModelInfo, FrameRequest, FrameResult } from './engine_types.js';
import { frameSize, close } from './frame_path.js';

/** The mask formats the GPU overlay draws (a one-channel score map); others are decoded on the CPU. */
const GPU_MASK_FORMATS = new Set(['sigmoid-mask', 'db-probability']);

/**
 * Draws one clear pass into the mask layer with `device`; false when that loses the device (seen
 * with headless chromium on SwiftShader, where any WebGPU canvas takes every device of the page
 * down with it), with why.
 */
async function probeMaskLayer(device: GPUDevice, canvas: OffscreenCanvas): Promise<string | null> {
  try {
    const ctx = canvas.getContext('webgpu');
    if (!ctx) return 'no WebGPU context for the canvas';
    ctx.configure({ device, format: navigator.gpu.getPreferredCanvasFormat(), alphaMode: 'premultiplied' });
    const e = device.createCommandEncoder();
    e.beginRenderPass({ colorAttachments: [{ view: ctx.getCurrentTexture().createView(), loadOp: 'clear', clearValue: { r: 0, g: 0, b: 0, a: 0 }, storeOp: 'store' }] }).end();
    device.queue.submit([e.finish()]);
    const lost = await Promise.race([device.lost.then((i) => i.message || i.reason), device.queue.onSubmittedWorkDone().then(() => null, (x: unknown) => (x as Error).message)]);
    return lost === null ? null : `drawing into the canvas lost the GPU device (${lost})`;
  } catch (x) {
    return (x as Error).message;
  }
}

export class Engine {
  /** why the GPU mask layer is not used (it broke the device once; kept across runtimes) */
  static maskLayerBroken: string | null = null;
  private rt: Runtime | null = null;
  private model: Model | null = null;
  private info: ModelInfo | null = null;
  private sources = new Map<string, ModelSource>();
  private lost: string | null = null;
  private labels: string[] | null = null;
  private labelsTried = false;
  private lastPath = '';
  private lastNotes: string[] = [];
  private serial: Promise<unknown> = Promise.resolve();
  /** the page's mask layer (transferred OffscreenCanvas), its WebGPU context and the device it is configured for */
  private maskCanvas: OffscreenCanvas | null = null;
  private maskContext: GPUCanvasContext | null = null;
  private maskDevice: GPUDevice | null = null;
  private overlay: MaskOverlay | null = null;
  /** the last GPU-drawn mask's outputs (valid until the next frame), for readMask() */
  private lastGpuMask: { model: Model; outputs: GpuOutputs; roi: FrameRegion } | null = null;

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

  /** The page's mask layer: segmentation masks are drawn into it on the GPU (webgpu backend). */
  setMaskCanvas(canvas: OffscreenCanvas): Promise<void> {
    return this.queue(async () => {
      this.maskCanvas = canvas;
      this.maskContext = null;
      this.maskDevice = null;
    });
  }

  /** Creates the runtime for a backend choice (disposing the old one and its model). */
  setBackend(pick: BackendPick): Promise<EngineStatus> {
    return this.queue(async () => {
      this.releaseGpu();
      this.rt?.dispose();
      this.rt = null;
      this.lost = null;
      this.lastNotes = [];
      let rt = await createRuntime({ backend: pick });
      if (rt.backend === 'webgpu' && this.maskCanvas && !Engine.maskLayerBroken && rt.gpu) {
        // the GPU mask layer is tried once, before any model: where it breaks the device, masks are read back and drawn on the CPU
        const why = await probeMaskLayer(rt.gpu.device, this.maskCanvas);
        if (why) {
          Engine.maskLayerBroken = why;
          rt.dispose();
          // the browser gives no adapter for a moment after such a loss
          for (let k = 0; ; k++) {
            try {
              rt = await createRuntime({ backend: pick });
              break;
            } catch (e) {
              if (k >= 5) throw e;
              await new Promise((r) => setTimeout(r, 300 * (k + 1)));
            }
          }
        } else this.maskDevice = rt.gpu.device;
      }
      this.rt = rt;
      const device = rt.gpu?.device;
      if (device) {
        void device.lost.then((i) => {
          if (this.rt === rt && i.reason !== 'destroyed') this.lost ??= i.message || 'unknown reason';
        });
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
    // the runtime would quietly replace the device at the next run; the page restarts it instead
    this.lost ??= 'device.destroy() from the page';
    device.destroy();
    return true;
  }

  private statusNow(): EngineStatus {
    const rt = this.rt;
    const modelGpuBuffers = this.model?.gpuBuffers ?? 0;
    const notes = [...this.lastNotes];
    if (rt && rt.backend !== 'webgpu') notes.push(`the ${rt.backend} backend reads pixels on the CPU`);
    if (rt?.backend === 'webgpu' && Engine.maskLayerBroken && this.info?.task === 'segment') notes.push(`GPU mask layer not used: ${Engine.maskLayerBroken}; masks are read back and drawn on the CPU`);
    const gpu = rt?.backend === 'webgpu';
    const external = !this.lastNotes.some((n) => /^external /.test(n));
    return {
      thread: this.thread,
      backend: rt?.backend ?? null,
      reason: rt?.reason ?? 'no runtime yet',
      adapter: rt?.gpu?.adapterName ?? null,
      timestampQuery: !!rt?.gpu?.device.features.has('timestamp-query'),
      liveGpuBuffers: modelGpuBuffers + (this.overlay?.resourceCount ?? 0),
      modelGpuBuffers,
      framePath: this.lastPath || (rt ? FRAME_PATH_TEXT[gpu ? (external ? 'external' : 'copy') : 'pixels'] : ''),
      pathNotes: notes,
      acceptsVideoFrame: gpu && typeof VideoFrame === 'function' && external,
    };
  }

  private releaseGpu(): void {
    this.model?.dispose();
    this.model = null;
    this.info = null;
    this.overlay?.dispose();
    this.overlay = null;
    this.lastGpuMask = null;
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
      this.overlay?.dispose();
      this.overlay = null;
      this.lastGpuMask = null;
      const note = spec.kind === 'builtin' ? entry(spec.id)!.note : undefined;
      this.info = {
        key,
        name: source.name,
        task: kind,
        format: source.task && 'format' in source.task ? source.task.format : (source.task?.kind ?? ''),
        input: { h: model.inputShape.h, w: model.inputShape.w },
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
      this.overlay?.dispose();
      this.overlay = null;
      this.lastGpuMask = null;
      return this.statusNow();
    });
  }

  /** Runs one frame; the source is closed here. Resolves to null when no model is loaded. */
  frame(req: FrameRequest): Promise<FrameResult | null> {
    return this.queue(async () => {
      try {
        return await this.frameNow(req);
      } finally {
        close(req.source);
      }
    });
  }

  /** ImageNet labels when they fit the model's classes (else "class k") */
  private labelsFor(model: Model): string[] | undefined {
    const task = model.task;
    if (!this.labels || task?.kind !== 'classification') return undefined;
    return model.plan.outputs[0].c - task.labelOffset === this.labels.length ? this.labels : undefined;
  }

  /** The GPU mask overlay for this frame, when the mask can stay on the GPU; sizes the mask layer to the frame. */
  private gpuOverlay(model: Model, info: ModelInfo, size: { width: number; height: number }): MaskOverlay | null {
    const device = model.device;
    if (info.task !== 'segment' || !device || !this.maskCanvas || Engine.maskLayerBroken || !GPU_MASK_FORMATS.has(info.format)) return null;
    this.maskContext ??= this.maskCanvas.getContext('webgpu');
    if (this.maskDevice !== device || !this.overlay) {
      if (!this.maskContext) return null;
      this.maskContext.configure({ device, format: navigator.gpu.getPreferredCanvasFormat(), alphaMode: 'premultiplied' });
      this.maskDevice = device;
      this.overlay?.dispose();
      this.overlay = null;
    }
    if (this.maskCanvas.width !== size.width || this.maskCanvas.height !== size.height) {
      this.maskCanvas.width = size.width;
      this.maskCanvas.height = size.height;
    }
    this.overlay ??= createMaskOverlay(model, this.maskContext!, { format: navigator.gpu.getPreferredCanvasFormat() });
    return this.overlay;
  }

  private async frameNow(req: FrameRequest): Promise<FrameResult | null> {
    const model = this.model;
    const info = this.info;
    if (!model || !info) return null;
    if (this.lost) throw new Error(`the GPU device was lost (${this.lost}); choose the backend again or use the CPU path`);
    const overlay = this.gpuOverlay(model, info, frameSize(req.source));
    let r;
    try {
      r = await model.runFrame(req.source, { roi: req.roi, labels: this.labelsFor(model), ...(overlay ? { mask: 'gpu' as const, overlay } : {}) });
    } catch (e) {
      const msg = (e as Error).message;
      if (/device was lost/.test(msg) || (e as Error).name === 'GpuDeviceLostError') {
        this.lost ??= msg;
        if (overlay) Engine.maskLayerBroken ??= `a frame drawing into it lost the GPU device (${msg})`;
        throw new Error(`the GPU device was lost (${this.lost})`);
      }
      throw e;
    }
    this.lastPath = FRAME_PATH_TEXT[r.framePath] + (r.pixelRead ? ` (pixels read: ${r.pixelRead === 'copyTo' ? 'VideoFrame.copyTo' : r.pixelRead === 'canvas' ? 'canvas getImageData' : 'in memory'})` : '');
    this.lastNotes = r.pathNotes;
    const t = r.timings;
    let page;
    if (r.gpuOutputs) {
      const o = r.gpuOutputs.shapes[overlay!.output];
      this.lastGpuMask = { model, outputs: r.gpuOutputs, roi: r.roi };
      const mask: MaskResult = { width: o.w, height: o.h, kind: 'probability', gpu: true };
      page = { mask };
    } else {
      this.lastGpuMask = null;
      const head = model.head as { labels?: readonly string[] } | undefined;
      page = toPage(r.result, { format: info.format, maskLabels: head?.labels });
    }
    return {
      ...page,
      modelKey: info.key,
      frame: r.frame,
      roi: r.roi,
      timings: { preMs: t.preprocessMs, netMs: t.networkMs, readMs: model.backend === 'webgpu' ? t.readbackMs : null, postMs: t.postMs, totalMs: t.totalMs, gpuTimed: t.gpuTimestamps },
      path: this.lastPath,
      dispatches: r.dispatches,
      status: this.statusNow(),
    };
  }

  /**
   * The last GPU-drawn mask, read back on demand (the page's coverage figure and tests): the
   * mask output copied to a staging buffer, then decoded like any CPU mask. null when the last
   * frame's mask was not left on the GPU.
   */
  readMask(): Promise<MaskResult | null> {
    return this.queue(async () => {
      const last = this.lastGpuMask;
      if (!last || last.model !== this.model || !this.overlay) return null;
      const model = last.model;
      const device = model.device!;
      const k = this.overlay.output;
      const s = last.outputs.shapes[k];
      const bytes = s.h * s.w * s.c4 * 4;
      const staging = device.createBuffer({ label: 'demo:mask-read', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      try {
        const e = device.createCommandEncoder();
        e.copyBufferToBuffer(last.outputs.buffers[k], 0, staging, 0, bytes);
        device.queue.submit([e.finish()]);
        await staging.mapAsync(GPUMapMode.READ);
        const padded = new Float32Array(staging.getMappedRange().slice(0));
        const out = new Float32Array(s.h * s.w * s.c);
        for (let p = 0; p < s.h * s.w; p++) for (let c = 0; c < s.c; c++) out[p * s.c + c] = padded[p * s.c4 + c];
        const outs = model.plan.outputs.map((_, i) => (i === k ? out : new Float32Array(0)));
        const d = decodeOutputs(outs, { task: model.task, head: model.head, outputs: model.plan.outputs, image: { width: last.roi.width, height: last.roi.height } });
        if (d.kind !== 'segmentation') return null;
        return { ...maskBytes(d.mask), gpu: true };
      } finally {
        staging.destroy();
      }
    });
  }

  dispose(): void {
    this.releaseGpu();
    this.rt?.dispose();
    this.rt = null;
  }
}
