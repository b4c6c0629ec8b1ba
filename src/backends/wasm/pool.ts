/**
 * The wasm backend's thread pool: `threads - 1` workers (browser Web Workers from a Blob URL,
 * Node worker_threads), each with its own instance of the threads kernel module on the
 * executor's ONE shared memory and its own stack. A split step: the calling thread writes
 * each worker's (kernel, parameter block, row range) into a control block in that memory,
 * bumps a generation counter, runs its own range, then spins until every worker has counted
 * itself done. Workers spin briefly on the generation word and then sleep in Atomics.wait, so
 * an idle pool costs nothing; the calling thread never blocks in Atomics.wait (a page's main
 * thread may not), it spins, and only for the other threads' share of one step.
 */

/** Kernels a worker can run on a row range (their index is the control block's `fn`). */
export const POOL_FNS = ['pointwise_rows', 'depthwise_rows', 'conv2d_rows', 'conv_transpose_rows', 'resize_rows', 'concat_rows', 'pad_rows', 'q_pointwise_rows', 'q_depthwise_rows', 'q_conv_rows', 'q_add_rows', 'q_mul_channel_rows'] as const;
export type PoolFn = (typeof POOL_FNS)[number];

/** Int32 words of the control block: gen, done, quit, spare, then 4 per worker. */
export const controlWords = (workers: number): number => 4 + 4 * workers;

/** Bytes of stack each worker instance gets (the kernels use a few hundred bytes). */
export const WORKER_STACK_BYTES = 64 * 1024;

// The worker body: plain JS that runs in a browser worker and in a Node worker_threads eval.
const WORKER_SOURCE = `
const FNS = ${JSON.stringify(POOL_FNS)};
const SPIN = 1 << 18; // ~0.3-1 ms of Atomics.load before sleeping: steps follow each other faster than a futex wake
function start(msg, post) {
  const { module, memory, stackTop, ctrl, index } = msg;
  let inst;
  try {
    inst = new WebAssembly.Instance(module, { env: { memory } });
    inst.exports.__stack_pointer.value = stackTop;
  } catch (e) {
    post({ error: String(e && e.message || e) });
    return;
  }
  const fns = FNS.map((n) => inst.exports[n]);
  const c = new Int32Array(memory.buffer, ctrl, 4 + 4 * (index + 1));
  const b = 4 + 4 * index;
  let gen = Atomics.load(c, 0);
  post({ ready: true });
  for (;;) {
    let spins = 0;
    while (Atomics.load(c, 0) === gen) {
      // timed, so that a terminate (Node joins workers at process exit) is serviced: an untimed
      // Atomics.wait is not interrupted by it and the process would never exit
      if (++spins > SPIN) { Atomics.wait(c, 0, gen, 100); spins = 0; }
    }
    gen = Atomics.load(c, 0);
    if (Atomics.load(c, 2)) return;
    try {
      fns[c[b]](c[b + 1], c[b + 2], c[b + 3]);
    } catch (e) {
      Atomics.store(c, 3, 1);
      post({ error: String(e && e.message || e) });
    }
    Atomics.add(c, 1, 1);
    Atomics.notify(c, 1);
  }
}
if (typeof self !== 'undefined' && typeof self.postMessage === 'function' && typeof require === 'undefined') {
  self.onmessage = (e) => start(e.data, (m) => self.postMessage(m));
} else {
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (m) => start(m, (r) => parentPort.postMessage(r)));
}
`;

interface AnyWorker {
  post(m: unknown): void;
  onMessage(f: (m: { ready?: boolean; error?: string }) => void): void;
  terminate(): void;
  /** Node: let the process exit while the worker idles (after its listeners are attached, which re-ref it) */
  unref(): void;
}

function isNode(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } } };
  return !!g.process?.versions?.node && typeof (globalThis as { window?: unknown }).window === 'undefined';
}

async function spawn(): Promise<AnyWorker> {
  if (isNode()) {
    const name = 'node:worker_threads';
    const wt = (await import(/* @vite-ignore */ name)) as typeof import('node:worker_threads');
    const w = new wt.Worker(WORKER_SOURCE, { eval: true });
    return {
      post: (m) => w.postMessage(m),
      onMessage: (f) => {
        w.on('message', f);
        w.on('error', (e) => f({ error: (e as Error).message }));
      },
      terminate: () => void w.terminate(),
      unref: () => w.unref(),
    };
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const w = new Worker(url);
  URL.revokeObjectURL(url);
  return {
    post: (m) => w.postMessage(m),
    onMessage: (f) => {
      w.onmessage = (e: MessageEvent) => f(e.data as { ready?: boolean; error?: string });
      w.onerror = (e: ErrorEvent) => f({ error: e.message || 'worker failed to start' });
    },
    terminate: () => w.terminate(),
    unref: () => undefined,
  };
}

export class ThreadPool {
  private readonly c: Int32Array;
  private broken: string | null = null;
  private closed = false;
  /** whether this thread may block in Atomics.wait (Node, workers; not a page's main thread) */
  private readonly canWait: boolean;

  private constructor(
    memory: WebAssembly.Memory,
    private readonly ctrl: number,
    private readonly workers: AnyWorker[],
  ) {
    this.c = new Int32Array(memory.buffer, ctrl, controlWords(workers.length));
    let can = true;
    try {
      Atomics.wait(this.c, 3, 0x7fffffff, 0); // 'not-equal' where waiting is allowed, throws where not
    } catch {
      can = false;
    }
    this.canWait = can;
  }

  /** threads including the caller's */
  get size(): number {
    return this.workers.length + 1;
  }

  /**
   * Starts `workers` workers on `module` (a threads variant) over `memory`; `ctrl` is the byte
   * address of a zeroed control block of controlWords(workers) int32s, `stackTops[i]` worker i's
   * stack top (16-aligned, WORKER_STACK_BYTES above a region nothing else uses).
   */
  static async create(module: WebAssembly.Module, memory: WebAssembly.Memory, ctrl: number, stackTops: number[], timeoutMs = 20_000): Promise<ThreadPool> {
    const workers: AnyWorker[] = [];
    try {
      await Promise.all(
        stackTops.map(async (stackTop, index) => {
          const w = await spawn();
          workers.push(w);
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`wasm thread pool: worker ${index} did not start within ${timeoutMs} ms`)), timeoutMs);
            w.onMessage((m) => {
              clearTimeout(timer);
              if (m.ready) {
                w.unref();
                resolve();
              }
              else reject(new Error(`wasm thread pool: worker ${index}: ${m.error ?? 'failed'}`));
            });
            w.post({ module, memory, stackTop, ctrl, index });
          });
        }),
      );
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    return new ThreadPool(memory, ctrl, workers);
  }

  /**
   * Runs `fn(params, r0, r1)` on [0, rows) split into `size` contiguous parts (boundaries
   * multiples of `grain`); the caller runs the last part with `own`. Returns when all are done.
   */
  run(fn: PoolFn, params: number, rows: number, grain: number, own: (r0: number, r1: number) => void): void {
    if (this.closed) throw new Error('wasm thread pool: closed');
    if (this.broken) throw new Error(`wasm thread pool: ${this.broken}`);
    const c = this.c;
    const n = this.workers.length;
    const parts = n + 1;
    const units = Math.ceil(rows / grain);
    const bounds: number[] = [];
    for (let i = 0; i <= parts; i++) bounds.push(Math.min(rows, Math.round((units * i) / parts) * grain));
    const fi = POOL_FNS.indexOf(fn);
    for (let w = 0; w < n; w++) {
      const b = 4 + 4 * w;
      c[b] = fi;
      c[b + 1] = params;
      c[b + 2] = bounds[w];
      c[b + 3] = bounds[w + 1];
    }
    Atomics.store(c, 1, 0);
    Atomics.add(c, 0, 1);
    Atomics.notify(c, 0);
    if (bounds[n] < bounds[parts]) own(bounds[n], bounds[parts]);
    let spins = 0;
    let t0 = 0;
    for (let done = Atomics.load(c, 1); done < n; done = Atomics.load(c, 1)) {
      // spin first (a worker's share of one step is short); then, where this thread may block,
      // sleep until a worker counts itself done, so an oversubscribed machine is not spun on
      if (++spins > 4096 && this.canWait) Atomics.wait(c, 1, done, 1);
      if (spins % 65536 === 0 || (spins > 4096 && this.canWait)) {
        const now = performance.now();
        if (!t0) t0 = now;
        else if (now - t0 > 10_000) {
          this.broken = `a worker did not finish '${fn}' within 10 s`;
          throw new Error(`wasm thread pool: ${this.broken}`);
        }
      }
    }
    if (Atomics.load(c, 3)) {
      this.broken = `a worker's kernel '${fn}' failed`;
      throw new Error(`wasm thread pool: ${this.broken}`);
    }
  }

  /** Stops the workers (they leave their loop, then are terminated). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.c, 2, 1);
    Atomics.add(this.c, 0, 1);
    Atomics.notify(this.c, 0);
    for (const w of this.workers) w.terminate();
  }
}

/**
 * An executor's pool: started, or null with why not (e.g. a Content-Security-Policy without
 * `worker-src blob:`). Then the executor runs every step on the calling thread with the same
 * module, and a console warning says so.
 */
export async function startPool(module: WebAssembly.Module, memory: WebAssembly.Memory, ctrl: number, stackTops: number[]): Promise<{ pool: ThreadPool | null; error: string | null }> {
  try {
    return { pool: await ThreadPool.create(module, memory, ctrl, stackTops), error: null };
  } catch (e) {
    const error = (e as Error).message;
    console.warn(`wasm backend: running single-threaded, the thread pool did not start: ${error}`);
    return { pool: null, error };
  }
}
