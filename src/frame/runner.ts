/**
 * One model's frame path (model.runFrame): a camera frame (or any FrameSource) -> the model's
 * own preprocessing -> the network -> the decoded task result, with the path taken and the
 * time of each stage.
 *
 * On the webgpu backend the preprocess is a compute pass (FramePreprocessor) in the same
 * submit as the network, fed by the fastest source path the browser accepts, tried in order
 * and remembered when refused: 'external' (importExternalTexture) -> 'copy'
 * (copyExternalImageToTexture) -> 'pixels-gpu' (pixels read on the CPU, CPU preprocess,
 * writeBuffer). GPU timestamps (when the device has 'timestamp-query') bracket the two passes.
 * Read-backs use the executor's ring of staging buffers and this runner's ring of timestamp
 * buffers, so the next frame can be submitted while this one is still mapping.
 * On wasm / cpu the same call reads the pixels and runs the CPU preprocessing ('pixels').
 */
import type { Plan } from '../graph/plan.js';
import { padChannels, unpadChannels, tensorFloats } from '../graph/layout.js';
import { isImageLike, preprocessImage, type ImageLike, type Preprocess } from '../model/preprocess.js';
import type { ModelTask } from '../model/source.js';
import { FramePreprocessor, sourceSize, type FrameWriter } from '../backends/webgpu/frame_preprocess.js';
import { STAGING_RING, type GpuExecutor, type GpuSubmitted } from '../backends/webgpu/executor.js';
import { decodeOutputs, type Decoded } from '../heads/decode.js';
import type { FrameOptions, FramePath, FrameRegion, FrameResult, FrameSource, FrameTimings, GpuOutputs } from './types.js';

/** What the runner needs from its model (runtime.ts implements it; no upward import). */
export interface FrameHost {
  readonly name: string;
  readonly backend: string;
  readonly plan: Plan;
  readonly preprocess?: Preprocess;
  readonly task?: ModelTask;
  readonly head?: unknown;
  /** the current GPU executor (a lost device replaced first), or null off the GPU */
  currentGpuExecutor(): Promise<GpuExecutor | null>;
  /** runs an NHWC float32 input (unpadded) on the model's backend, with its checks */
  runTensor(x: Float32Array): Promise<Float32Array[]>;
  /** wasm: preprocesses the image in WASM straight into the input and runs (null: not on this backend / model) */
  runImage?(img: ImageLike): Promise<{ outputs: Float32Array[]; preprocessMs: number } | null>;
  /** the error to throw for a GPU run that failed on `device` (a loss becomes GpuDeviceLostError) */
  gpuFailure(e: unknown, device: GPUDevice): Promise<unknown>;
}

type SourceKind = 'video-frame' | 'video' | 'bitmap' | 'canvas' | 'image-data' | 'texture' | 'pixels';

/** Set when importExternalTexture was followed by a device loss: the zero-copy path is not used again in this realm. */
let externalBroken: string | null = null;

interface TimestampSlot {
  qs: GPUQuerySet;
  resolve: GPUBuffer;
  read: GPUBuffer;
  busy: Promise<void>;
}

/** A GPU run failure, tagged with where it happened. */
type Stage = 'prepare' | 'run' | 'validation';
class FrameRunError extends Error {
  constructor(
    message: string,
    readonly stage: Stage,
    readonly original: unknown,
  ) {
    super(message);
  }
}

const isGpuTexture = (s: unknown): s is GPUTexture =>
  !!s && typeof s === 'object' && typeof (s as GPUTexture).createView === 'function' && typeof (s as GPUTexture).format === 'string' && typeof (s as GPUTexture).usage === 'number';

function kindOf(s: unknown): SourceKind | null {
  if (typeof VideoFrame === 'function' && s instanceof VideoFrame) return 'video-frame';
  if (typeof HTMLVideoElement === 'function' && s instanceof HTMLVideoElement) return 'video';
  if (typeof ImageBitmap === 'function' && s instanceof ImageBitmap) return 'bitmap';
  if ((typeof HTMLCanvasElement === 'function' && s instanceof HTMLCanvasElement) || (typeof OffscreenCanvas === 'function' && s instanceof OffscreenCanvas)) return 'canvas';
  if (typeof ImageData === 'function' && s instanceof ImageData) return 'image-data';
  if (isGpuTexture(s)) return 'texture';
  if (isImageLike(s)) return 'pixels';
  return null;
}

function sizeOf(s: FrameSource, kind: SourceKind, model: string): { width: number; height: number } {
  if (kind === 'video' && !(s as HTMLVideoElement).videoWidth) {
    throw new RangeError(`model '${model}': the video element has no frame yet (readyState ${(s as HTMLVideoElement).readyState}); wait for 'loadeddata'`);
  }
  return sourceSize(s as GPUCopyExternalImageSource);
}

/** The region a frame is cropped to (FrameOptions.roi), checked against the frame. */
export function frameRegion(frame: { width: number; height: number }, roi: FrameOptions['roi'], aspect: number, model = 'model'): FrameRegion {
  if (roi === undefined || roi === 'full') return { x: 0, y: 0, width: frame.width, height: frame.height };
  if (roi === 'center') {
    const width = Math.max(1, Math.min(frame.width, Math.round(frame.height * aspect)));
    const height = Math.max(1, Math.min(frame.height, Math.round(width / aspect)));
    return { x: Math.floor((frame.width - width) / 2), y: Math.floor((frame.height - height) / 2), width, height };
  }
  const r = roi;
  const ints = [r?.x, r?.y, r?.width, r?.height].every((v) => Number.isInteger(v));
  if (!ints || r.width < 1 || r.height < 1 || r.x < 0 || r.y < 0 || r.x + r.width > frame.width || r.y + r.height > frame.height) {
    throw new RangeError(`model '${model}': roi ${JSON.stringify(roi)} must be whole pixels inside the ${frame.width}x${frame.height} frame (or 'full' / 'center')`);
  }
  return { x: r.x, y: r.y, width: r.width, height: r.height };
}

/** How a frame's pixels reached the CPU (FrameResult.pixelRead). */
type PixelRead = NonNullable<FrameResult['pixelRead']>;

let copyToSupport: boolean | undefined;
/**
 * Whether VideoFrame.copyTo converts to RGBA (the `format` option; chromium 127+). A browser
 * without it ignores the option and copies the frame's own format, so this asks a 2x2 I420
 * frame for its RGBA size: 16 bytes where the option works, 6 where it is ignored.
 */
function copyToRgba(): boolean {
  if (copyToSupport === undefined) {
    copyToSupport = false;
    if (typeof VideoFrame === 'function') {
      try {
        const f = new VideoFrame(new Uint8Array(6), { format: 'I420', codedWidth: 2, codedHeight: 2, timestamp: 0 });
        try {
          copyToSupport = f.allocationSize({ format: 'RGBA' } as VideoFrameCopyToOptions) === 16;
        } finally {
          f.close();
        }
      } catch {
        copyToSupport = false;
      }
    }
  }
  return copyToSupport;
}

/** The region's pixels of an in-memory image (a copy unless the region is the whole image). */
function cropPixels(img: ImageLike, roi: FrameRegion): ImageLike {
  if (roi.x === 0 && roi.y === 0 && roi.width === img.width && roi.height === img.height) return img;
  const ch = img.data.length / (img.width * img.height);
  const out = new Uint8ClampedArray(roi.width * roi.height * ch);
  for (let y = 0; y < roi.height; y++) {
    const from = ((roi.y + y) * img.width + roi.x) * ch;
    out.set(img.data.subarray(from, from + roi.width * ch), y * roi.width * ch);
  }
  return { data: out, width: roi.width, height: roi.height };
}

export class FrameRunner {
  private pre: FramePreprocessor | null = null;
  private device: GPUDevice | null = null;
  private ts: TimestampSlot[] = [];
  private tsNext = 0;
  private refused = new Map<FramePath, string>();
  private canvas: OffscreenCanvas | HTMLCanvasElement | null = null;
  /** the copyTo buffer of the last frame, free for the next (null while a frame holds it) */
  private spare: Uint8ClampedArray | null = null;
  /** set when VideoFrame.copyTo failed once: the canvas read from then on */
  private copyToBroken: string | null = null;
  private serial: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(private readonly host: FrameHost) {}

  /** GPU buffers and textures this runner holds (leak accounting). */
  get gpuResources(): number {
    return (this.pre?.resourceCount ?? 0) + this.ts.length * 2;
  }

  /** why paths were refused so far (path -> the browser's message) */
  get refusedPaths(): ReadonlyMap<FramePath, string> {
    return this.refused;
  }

  private notes(): string[] {
    const n = [...this.refused].map(([p, m]) => `${p} refused: ${m}`);
    if (externalBroken && !this.refused.has('external')) n.push(`external not used: ${externalBroken}`);
    if (this.copyToBroken) n.push(this.copyToBroken);
    return n;
  }

  /** (Re)creates the preprocessor and timestamp buffers for the executor's device. */
  private gpuState(device: GPUDevice): void {
    if (this.device === device) return;
    this.releaseGpu();
    // refusals seen on an earlier device (possibly while it was being lost) are not this one's
    this.refused.clear();
    this.device = device;
    this.pre = new FramePreprocessor(device);
    if (device.features.has('timestamp-query')) {
      for (let k = 0; k < STAGING_RING; k++) {
        this.ts.push({
          qs: device.createQuerySet({ label: 'frame:timestamps', type: 'timestamp', count: 4 }),
          resolve: device.createBuffer({ label: 'frame:timestamps', size: 32, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
          read: device.createBuffer({ label: 'frame:timestamps-read', size: 32, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
          busy: Promise.resolve(),
        });
      }
    }
  }

  private releaseGpu(): void {
    this.pre?.dispose();
    this.pre = null;
    for (const t of this.ts) {
      t.qs.destroy();
      t.resolve.destroy();
      t.read.destroy();
    }
    this.ts = [];
    this.device = null;
  }

  async run(source: FrameSource, opts: FrameOptions = {}): Promise<FrameResult> {
    const t0 = performance.now();
    const { host } = this;
    const name = host.name;
    if (this.disposed) throw new Error(`model '${name}' was disposed`);
    const pre = host.preprocess;
    if (!pre) throw new TypeError(`model '${name}' declares no image preprocessing, so it takes tensors (model.run), not frames`);
    const kind = kindOf(source);
    if (!kind) {
      throw new TypeError(
        `model '${name}': runFrame takes an HTMLVideoElement, VideoFrame, ImageBitmap, canvas, ImageData, GPUTexture or {data, width, height} image, not ${source === null ? 'null' : typeof source === 'object' ? (source as object).constructor?.name ?? 'an object' : typeof source}`,
      );
    }
    const frame = sizeOf(source, kind, name);
    const { h, w, c } = host.plan.input;
    const roi = frameRegion(frame, opts.roi, w / h, name);
    const ex = await host.currentGpuExecutor();
    if (opts.mask === 'gpu' && !ex) throw new Error(`model '${name}': mask 'gpu' needs the webgpu backend`);
    let outs: Float32Array[] = [];
    let gpuOutputs: GpuOutputs | undefined;
    let path: FramePath;
    let t: Omit<FrameTimings, 'postMs' | 'totalMs'>;
    let dispatches = host.plan.stats.dispatches;
    let pixelRead: PixelRead | undefined;

    if (ex) {
      this.gpuState(ex.device);
      const gpuPre = c === 3 && h === pre.height && w === pre.width;
      const paths: FramePath[] = [];
      if (gpuPre) {
        if ((kind === 'video-frame' || kind === 'video') && !externalBroken) paths.push('external');
        if (kind !== 'pixels' && kind !== 'texture') paths.push('copy');
        if (kind === 'texture') paths.push('texture');
      }
      let done: { outs: Float32Array[]; timings: Omit<FrameTimings, 'postMs' | 'totalMs'> } | null = null;
      path = 'pixels-gpu';
      for (const p of paths.filter((q) => !this.refused.has(q) && !opts.avoid?.includes(q))) {
        try {
          done = await this.gpuRun(ex, (tsw) => this.writer(p, source, kind, pre, roi, tsw), opts, roi, frame);
          path = p;
          dispatches++;
          break;
        } catch (e) {
          const err = e as FrameRunError;
          if (err.stage === 'run') {
            const lost = await host.gpuFailure(err.original, ex.device);
            const info = (lost as { reason?: string }).reason;
            // a loss during a zero-copy frame bans that path for this page (ANGLE's SwiftShader takes the
            // import, then loses the device, and reports the loss as 'destroyed'); the copy path remains
            if (p === 'external' && info !== undefined) externalBroken = `the GPU device broke right after it (${(lost as Error).message})`;
            throw lost;
          }
          if (p === 'texture') throw new Error(`model '${name}': the GPUTexture source was refused: ${err.message}`);
          this.refused.set(p, err.message);
        }
      }
      if (!done) {
        if (kind === 'texture') throw new Error(`model '${name}': a GPUTexture frame needs the GPU preprocess, which this model cannot use (its input is ${h}x${w}x${c}, its preprocessing ${pre.height}x${pre.width} RGB)`);
        const ta = performance.now();
        const px = await this.pixels(source, kind, roi);
        pixelRead = px.read;
        const x = padChannels(preprocessImage(px.img, pre), h * w, c);
        px.release?.();
        const preMs = performance.now() - ta;
        try {
          done = await this.gpuRun(ex, () => x, opts, roi, frame);
        } catch (e) {
          const err = e as FrameRunError;
          if (err.stage === 'run') throw await host.gpuFailure(err.original, ex.device);
          throw err.original ?? err;
        }
        done.timings.preprocessMs += preMs;
      }
      outs = done.outs.map((o, i) => {
        const s = host.plan.outputs[i];
        return unpadChannels(o, s.h * s.w, s.c);
      });
      t = done.timings;
      if (opts.mask === 'gpu') gpuOutputs = { buffers: ex.outputBuffers, shapes: host.plan.outputs.map((s) => ({ h: s.h, w: s.w, c: s.c, c4: tensorFloats(s) / (s.h * s.w) })) };
    } else {
      if (kind === 'texture') throw new Error(`model '${name}': a GPUTexture frame needs the webgpu backend (this model runs on the ${host.backend} backend)`);
      const ta = performance.now();
      const { img, read, release } = await this.pixels(source, kind, roi);
      pixelRead = read;
      const tRead = performance.now() - ta;
      const tb = performance.now();
      let direct: Awaited<ReturnType<NonNullable<FrameHost['runImage']>>> = null;
      let x: Float32Array | null = null;
      try {
        direct = host.runImage ? await host.runImage(img) : null;
        if (!direct) x = preprocessImage(img, pre);
      } finally {
        release?.();
      }
      if (direct) {
        // wasm: preprocessed in WASM straight into the input tensor (image.c)
        outs = direct.outputs;
        t = { preprocessMs: tRead + direct.preprocessMs, networkMs: performance.now() - tb - direct.preprocessMs, readbackMs: 0, gpuTimestamps: false };
      } else {
        const tc = performance.now();
        outs = await host.runTensor(x!);
        t = { preprocessMs: tc - ta, networkMs: performance.now() - tc, readbackMs: 0, gpuTimestamps: false };
      }
      path = 'pixels';
    }

    const tp = performance.now();
    let result: Decoded | undefined;
    if (opts.decode !== false && outs.length) {
      result = decodeOutputs(outs, { task: host.task, head: host.head, outputs: host.plan.outputs, image: { width: roi.width, height: roi.height }, labels: opts.labels, minScore: opts.minScore });
      if (result.kind === 'detection' && (roi.x || roi.y)) {
        for (const d of result.detections) d.box = [d.box[0] + roi.x, d.box[1] + roi.y, d.box[2] + roi.x, d.box[3] + roi.y];
      }
    }
    const t1 = performance.now();
    return {
      result,
      outputs: outs,
      ...(gpuOutputs ? { gpuOutputs } : {}),
      framePath: path,
      ...(pixelRead ? { pixelRead } : {}),
      pathNotes: this.notes(),
      frame,
      roi,
      timings: { ...t, postMs: t1 - tp, totalMs: t1 - t0 },
      dispatches,
    };
  }

  /** Prepares a GPU source path: uploads/imports the frame and returns the preprocess pass writer. */
  private writer(path: FramePath, source: FrameSource, kind: SourceKind, pre: Preprocess, roi: FrameRegion, tsw?: GPUComputePassTimestampWrites): FrameWriter | Promise<FrameWriter> {
    const fp = this.pre!;
    if (path === 'texture') {
      const tex = source as GPUTexture;
      if (tex.format !== 'rgba8unorm' && tex.format !== 'bgra8unorm') throw new Error(`GPUTexture format '${tex.format}': runFrame reads 'rgba8unorm' or 'bgra8unorm' textures`);
      if (!(tex.usage & GPUTextureUsage.TEXTURE_BINDING)) throw new Error('GPUTexture lacks GPUTextureUsage.TEXTURE_BINDING');
      return fp.prepareTexture(tex, pre, roi, tsw);
    }
    if (path === 'external') return fp.prepareExternal(source as VideoFrame | HTMLVideoElement, pre, roi, tsw);
    if (kind === 'video-frame') {
      // copyExternalImageToTexture refuses camera VideoFrames on some browsers; a bitmap of it works
      return createImageBitmap(source as VideoFrame).then((bmp) => {
        try {
          return fp.prepareCopy(bmp, pre, roi, tsw);
        } finally {
          bmp.close();
        }
      });
    }
    return fp.prepareCopy(source as ImageBitmap | HTMLCanvasElement | OffscreenCanvas | ImageData | HTMLVideoElement, pre, roi, tsw);
  }

  /**
   * One GPU run: the input (floats, or a preprocess pass) and the network in one submit,
   * timestamps around both passes when the device has them. Failures are tagged with the stage.
   */
  private async gpuRun(
    ex: GpuExecutor,
    input: (tsw?: GPUComputePassTimestampWrites) => Float32Array | FrameWriter | Promise<FrameWriter>,
    opts: FrameOptions,
    roi: FrameRegion,
    frame: { width: number; height: number },
  ): Promise<{ outs: Float32Array[]; timings: Omit<FrameTimings, 'postMs' | 'totalMs'> }> {
    const { device } = ex;
    const ts = this.ts.length ? this.ts[this.tsNext] : null;
    if (ts) this.tsNext = (this.tsNext + 1) % this.ts.length;
    const t0 = performance.now();
    let tPre = t0;
    let isWriter = false;
    // the prepare + submit section is serialized (the preprocessor's texture and params are shared)
    const section = this.serial.then(async (): Promise<{ sub: GpuSubmitted; stamps: Promise<BigUint64Array> | null }> => {
      if (ts) await ts.busy;
      device.pushErrorScope('validation');
      let stage: Stage = 'prepare';
      let error: unknown = null;
      let sub: GpuSubmitted | null = null;
      try {
        const w = await input(ts ? { querySet: ts.qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } : undefined);
        isWriter = !(w instanceof Float32Array);
        tPre = performance.now();
        stage = 'run';
        sub = await ex.submit(w, {
          readback: opts.mask !== 'gpu',
          ...(ts ? { timestampWrites: { querySet: ts.qs, beginningOfPassWriteIndex: 2, endOfPassWriteIndex: 3 } } : {}),
          epilogue: (e, outputs) => {
            opts.overlay?.encode(e, outputs, roi, frame);
            if (ts) {
              // all four (the preprocess pair is unwritten and ignored without a pass): resolve offsets must be 256-aligned
              e.resolveQuerySet(ts.qs, 0, 4, ts.resolve, 0);
              e.copyBufferToBuffer(ts.resolve, 0, ts.read, 0, 32);
            }
          },
        });
      } catch (e) {
        error = e;
      }
      let scopeLost = false;
      const v = await device.popErrorScope().catch((e: unknown) => {
        scopeLost = true;
        return { message: `device lost (${(e as Error).message})` } as GPUError;
      });
      if (error || v || !sub) {
        // an exception while preparing: the source was refused; while running, or an error scope
        // that can no longer be popped (seen after ANGLE SwiftShader's importExternalTexture): the
        // device broke; a validation error alone: this path's commands are invalid here
        const msg = error instanceof Error ? error.message : (v?.message ?? String(error));
        throw new FrameRunError(msg, scopeLost ? 'run' : error ? stage : 'validation', error ?? new Error(msg));
      }
      // map the timestamps now, inside the section, so the next frame on this slot waits for this read
      const stamps = ts
        ? ts.read.mapAsync(GPUMapMode.READ).then(() => {
            const t = new BigUint64Array(ts.read.getMappedRange().slice(0));
            ts.read.unmap();
            return t;
          })
        : null;
      if (ts && stamps) {
        ts.busy = stamps.then(
          () => undefined,
          () => undefined,
        );
      }
      return { sub, stamps };
    });
    this.serial = section.catch(() => undefined);
    const { sub, stamps } = await section;
    const tSubmit = performance.now();
    let padded: Float32Array[];
    try {
      padded = await sub.outputs;
    } catch (e) {
      throw new FrameRunError((e as Error).message, 'run', e);
    }
    let gpuPreMs = 0;
    let gpuNetMs: number | null = null;
    if (stamps) {
      const t = await stamps.catch(() => null);
      if (t && isWriter && t[1] > t[0]) gpuPreMs = Number(t[1] - t[0]) / 1e6;
      if (t && t[3] > t[2]) gpuNetMs = Number(t[3] - t[2]) / 1e6;
    }
    const tEnd = performance.now();
    const cpuPre = tPre - t0;
    if (gpuNetMs !== null) {
      return { outs: padded, timings: { preprocessMs: cpuPre + gpuPreMs, networkMs: gpuNetMs, readbackMs: Math.max(0, tEnd - tPre - gpuNetMs - gpuPreMs), gpuTimestamps: true } };
    }
    return { outs: padded, timings: { preprocessMs: cpuPre, networkMs: tSubmit - tPre, readbackMs: tEnd - tSubmit, gpuTimestamps: false } };
  }

  /**
   * The region's pixels on the CPU: an in-memory image directly; browser sources through
   * VideoFrame.copyTo with RGBA conversion where the browser has it (a VideoFrame of the
   * source, ~0.3 ms for 640x480 in chromium here), else drawn into a 2D canvas and read back
   * with getImageData (~4 ms for a bitmap, ~10 ms for a VideoFrame).
   */
  private async pixels(source: FrameSource, kind: SourceKind, roi: FrameRegion): Promise<{ img: ImageLike; read: PixelRead; release?: () => void }> {
    if (kind === 'pixels' || kind === 'image-data') return { img: cropPixels(source as ImageLike, roi), read: 'memory' };
    if (kind === 'texture') throw new Error(`model '${this.host.name}': a GPUTexture cannot be read on the CPU path`);
    if (copyToRgba() && !this.copyToBroken) {
      // a reused buffer: copyTo into a fresh 1.2 MB array costs ~4 ms in chromium, into a used one ~0.3
      const buf = this.spare;
      this.spare = null;
      const img = await this.copyTo(source, kind, roi, buf).catch((e: unknown) => {
        this.copyToBroken = `VideoFrame.copyTo failed (${(e as Error).message}); frames are read through a canvas`;
        return null;
      });
      if (img) return { img, read: 'copyTo', release: () => void (this.spare = img.data as Uint8ClampedArray) };
      this.spare = buf;
    }
    return { img: this.canvasPixels(source, kind, roi), read: 'canvas' };
  }

  /** null: this frame is displayed scaled (display size != visible size), which the canvas path handles */
  private async copyTo(source: FrameSource, kind: SourceKind, roi: FrameRegion, spare: Uint8ClampedArray | null): Promise<ImageLike | null> {
    const own = kind !== 'video-frame';
    const vf = own ? new VideoFrame(source as CanvasImageSource, { timestamp: 0 }) : (source as VideoFrame);
    try {
      const vis = vf.visibleRect;
      if (!vis || vis.width !== vf.displayWidth || vis.height !== vf.displayHeight) return null;
      const whole = roi.x === 0 && roi.y === 0 && roi.width === vf.displayWidth && roi.height === vf.displayHeight;
      // rect is in coded coordinates: the region offset by the visible rect's origin
      const opts = { format: 'RGBA', ...(whole ? {} : { rect: { x: vis.x + roi.x, y: vis.y + roi.y, width: roi.width, height: roi.height } }) } as VideoFrameCopyToOptions;
      let size: number;
      try {
        size = vf.allocationSize(opts);
      } catch {
        // a rect the frame's format cannot take (odd offsets of a subsampled format): the whole frame, cropped here
        const all = { format: 'RGBA' } as VideoFrameCopyToOptions;
        const data = new Uint8ClampedArray(vf.allocationSize(all));
        await vf.copyTo(data, all);
        return cropPixels({ data, width: vf.displayWidth, height: vf.displayHeight }, roi);
      }
      const data = spare && spare.buffer.byteLength >= size ? new Uint8ClampedArray(spare.buffer, 0, size) : new Uint8ClampedArray(size);
      await vf.copyTo(data, opts);
      return { data, width: roi.width, height: roi.height };
    } finally {
      if (own) vf.close();
    }
  }

  private canvasPixels(source: FrameSource, kind: SourceKind, roi: FrameRegion): ImageLike {
    if (!this.canvas) {
      if (typeof OffscreenCanvas === 'function') this.canvas = new OffscreenCanvas(roi.width, roi.height);
      else if (typeof document === 'object') this.canvas = document.createElement('canvas');
      else throw new Error(`model '${this.host.name}': reading a ${kind} frame on the CPU needs OffscreenCanvas or a document`);
    }
    const cv = this.canvas;
    if (cv.width !== roi.width || cv.height !== roi.height) {
      cv.width = roi.width;
      cv.height = roi.height;
    }
    const ctx = cv.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
    if (!ctx) throw new Error(`model '${this.host.name}': this browser gives no 2D canvas context to read frame pixels`);
    ctx.drawImage(source as CanvasImageSource, roi.x, roi.y, roi.width, roi.height, 0, 0, roi.width, roi.height);
    return ctx.getImageData(0, 0, roi.width, roi.height);
  }

  dispose(): void {
    this.disposed = true;
    this.releaseGpu();
    this.canvas = null;
  }
}
