/**
 * The page's handle on the engine: in a Web Worker when the browser can (module workers,
 * OffscreenCanvas for reading pixels, transferable frames), else on the page's own thread.
 */
import type { Engine } from './engine.js';
import type { EngineStatus, FrameRequest, FrameResult, ModelInfo } from './engine_types.js';
import type { BackendPick, TaskKind } from './catalogue.js';
import type { ModelSpec } from './sources.js';
import type { MaskResult } from './decode.js';

export interface EngineApi {
  readonly thread: 'worker' | 'main';
  /** why the engine runs where it runs */
  readonly threadNote: string;
  setBackend(pick: BackendPick): Promise<EngineStatus>;
  load(spec: ModelSpec, task?: TaskKind): Promise<ModelInfo>;
  frame(req: FrameRequest): Promise<FrameResult | null>;
  /** hands the page's mask layer to the engine (GPU-drawn masks); the canvas is transferred */
  setMaskCanvas(canvas: OffscreenCanvas): Promise<void>;
  /** the last GPU-drawn mask, read back on demand (null when the last mask was not on the GPU) */
  readMask(): Promise<MaskResult | null>;
  status(): Promise<EngineStatus>;
  unload(): Promise<EngineStatus>;
  /** destroys the GPU device now (a simulated driver reset); false without one */
  loseDevice(): Promise<boolean>;
  dispose(): void;
}

class WorkerEngine implements EngineApi {
  readonly thread = 'worker';
  readonly threadNote = 'inference in a Web Worker (OffscreenCanvas)';
  private next = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private dead: string | null = null;

  constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<{ id: number; ok: boolean; value?: unknown; error?: string }>) => {
      const p = this.pending.get(e.data.id);
      if (!p) return;
      this.pending.delete(e.data.id);
      if (e.data.ok) p.resolve(e.data.value);
      else p.reject(new Error(e.data.error));
    };
    worker.onerror = (e) => this.fail(`the inference worker crashed: ${e.message || 'unknown error'}`);
  }

  private fail(msg: string): void {
    this.dead = msg;
    for (const p of this.pending.values()) p.reject(new Error(msg));
    this.pending.clear();
  }

  private call<T>(method: string, args: unknown[], transfer: Transferable[] = []): Promise<T> {
    if (this.dead) return Promise.reject(new Error(this.dead));
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, args }, transfer);
    });
  }

  setBackend = (pick: BackendPick): Promise<EngineStatus> => this.call('setBackend', [pick]);
  // file bytes are copied, not transferred: the page keeps them to reload on a backend change
  load = (spec: ModelSpec, task?: TaskKind): Promise<ModelInfo> => this.call('load', [spec, task]);
  frame = (req: FrameRequest): Promise<FrameResult | null> => this.call('frame', [req], [req.source as Transferable]);
  setMaskCanvas = (canvas: OffscreenCanvas): Promise<void> => this.call('setMaskCanvas', [canvas], [canvas]);
  readMask = (): Promise<MaskResult | null> => this.call('readMask', []);
  status = (): Promise<EngineStatus> => this.call('status', []);
  unload = (): Promise<EngineStatus> => this.call('unload', []);
  loseDevice = (): Promise<boolean> => this.call('loseDevice', []);
  dispose(): void {
    this.worker.terminate();
    this.fail('the engine was disposed');
  }
}

class LocalEngine implements EngineApi {
  readonly thread = 'main';
  constructor(
    private readonly engine: Engine,
    readonly threadNote: string,
  ) {}
  setBackend = (pick: BackendPick): Promise<EngineStatus> => this.engine.setBackend(pick);
  load = (spec: ModelSpec, task?: TaskKind): Promise<ModelInfo> => this.engine.load(spec, task);
  frame = (req: FrameRequest): Promise<FrameResult | null> => this.engine.frame(req);
  setMaskCanvas = (canvas: OffscreenCanvas): Promise<void> => this.engine.setMaskCanvas(canvas);
  readMask = (): Promise<MaskResult | null> => this.engine.readMask();
  status = (): Promise<EngineStatus> => this.engine.status();
  unload = (): Promise<EngineStatus> => this.engine.unload();
  loseDevice = (): Promise<boolean> => this.engine.loseDevice();
  dispose = (): void => this.engine.dispose();
}

/** the engine on this thread (loaded only when needed: the worker path does not need it here) */
async function local(note: string): Promise<EngineApi> {
  const { Engine } = await import('./engine.js');
  return new LocalEngine(new Engine('main', location.origin), note);
}

/** A worker engine when `preferWorker` and the browser supports it, else one on this thread. */
export async function createEngine(preferWorker: boolean): Promise<EngineApi> {
  if (!preferWorker) return local('inference on the page thread (worker disabled by ?worker=0)');
  if (typeof Worker !== 'function' || typeof OffscreenCanvas !== 'function') {
    return local('inference on the page thread: this browser lacks Worker or OffscreenCanvas');
  }
  try {
    const worker = new Worker(new URL('./engine_worker.ts', import.meta.url), { type: 'module', name: 'mobilenetv3-engine' });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the worker did not start within 20 s')), 20_000);
      worker.addEventListener('message', function ready(e: MessageEvent<{ id: number }>) {
        if (e.data.id !== 0) return;
        clearTimeout(timer);
        worker.removeEventListener('message', ready);
        resolve();
      });
      worker.addEventListener('error', (e) => {
        clearTimeout(timer);
        reject(new Error(e.message || 'worker script failed to load'));
      });
    });
    return new WorkerEngine(worker);
  } catch (e) {
    return local(`inference on the page thread: the worker failed (${(e as Error).message})`);
  }
}
