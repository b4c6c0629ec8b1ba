/**
 * Runs an integer program (src/graph/qprogram.ts: a quantized TFLite file loaded with
 * `quantized: 'int8'`) with the int8 kernels of qkernels.c, in one WASM memory laid out at load:
 * one int8 slot per tensor (channels padded to 8), the weights packed per kernel, one parameter
 * block per op. The thread pool (pool.ts) splits pointwise / dense conv / depthwise rows.
 * The result equals runQuantReference bit for bit (test/unit/wasm_int8.test.ts).
 */
import { softmaxQ, type QConv, type QProgram, type QTensor } from '../../graph/qprogram.js';
import { instantiateWasmKernels, sharedPages, wasmKernelModule, type WasmKernelExports, type WasmVariant } from './loader.js';
import { ThreadPool, WORKER_STACK_BYTES, controlWords, type PoolFn } from './pool.js';

const PAGE = 65536;
const ALIGN = 64;
const c8 = (c: number): number => Math.ceil(c / 8) * 8;
const bytesOf = (t: QTensor): number => t.h * t.w * c8(t.c);
/** below this many MACs an op stays on the calling thread */
const MIN_SPLIT_MACS = 150_000;

type Word = number | { f: number };

/** QEpi (qkernels.c): zp, lo, hi, has_hs, s1, z1, inv_s2, z2 */
function qepi(op: QConv): Word[] {
  const h = op.hswish;
  return [{ f: op.zp }, { f: op.lo }, { f: op.hi }, h ? 1 : 0, { f: h?.s1 ?? 0 }, { f: h?.z1 ?? 0 }, { f: h ? 1 / h.s2 : 0 }, { f: h?.z2 ?? 0 }];
}

/** GEMM panels: per 8 output channels [bias' i32 x8][mult f32 x8][K/2 x 16 i16]; k indexes the conv's [kh][kw][cin] rows */
export function packQGemm(op: QConv, K: number, N: number, zx: number, dst: DataView, at: number): void {
  const kReal = op.kh * op.kw * op.cin;
  const cout = op.cout;
  const w = (k: number, n: number): number => (k < kReal && n < cout ? op.weights[k * cout + n] : 0);
  const panelBytes = 64 + K * 16;
  for (let n0 = 0; n0 < N; n0 += 8) {
    const base = at + (n0 / 8) * panelBytes;
    for (let j = 0; j < 8; j++) {
      const n = n0 + j;
      let sum = 0;
      for (let k = 0; k < kReal; k++) sum += w(k, n);
      dst.setInt32(base + j * 4, n < cout ? op.bias[n] - zx * sum : 0, true);
      dst.setFloat32(base + 32 + j * 4, n < cout ? op.mult[n] : 0, true);
    }
    let o = base + 64;
    for (let k = 0; k < K; k += 2) {
      for (let j = 0; j < 8; j++) {
        dst.setInt16(o, w(k, n0 + j), true);
        dst.setInt16(o + 2, w(k + 1, n0 + j), true);
        o += 4;
      }
    }
  }
}

/** depthwise blocks: per 8 channels [bias i32 x8][mult f32 x8][taps x 8 i16] */
export function packQDepthwise(op: QConv, C: number, dst: DataView, at: number): void {
  const T = op.kh * op.kw;
  const cout = op.cout;
  const blockBytes = 64 + T * 16;
  for (let c0 = 0; c0 < C; c0 += 8) {
    const base = at + (c0 / 8) * blockBytes;
    for (let j = 0; j < 8; j++) {
      const c = c0 + j;
      dst.setInt32(base + j * 4, c < cout ? op.bias[c] : 0, true);
      dst.setFloat32(base + 32 + j * 4, c < cout ? op.mult[c] : 0, true);
      for (let t = 0; t < T; t++) dst.setInt16(base + 64 + (t * 8 + j) * 2, c < cout ? op.weights[t * cout + c] : 0, true);
    }
  }
}

interface Step {
  label: string;
  kind: string;
  run: () => void;
  macs: number;
}

export class QuantExecutor {
  private pool: ThreadPool | null = null;
  private disposed = false;
  /** why the requested thread pool did not start (then one thread) */
  poolError: string | null = null;
  variant: WasmVariant = 'simd';
  /** ops split across the pool's threads */
  splitSteps = 0;

  private constructor(
    readonly program: QProgram,
    private exports: WasmKernelExports,
    private readonly tensorPtr: number[],
    private readonly inputPtr: number,
    private readonly quantParams: number,
    private readonly steps: Step[],
    readonly memoryBytes: number,
  ) {}

  get threads(): number {
    return this.pool?.size ?? 1;
  }

  static async create(p: QProgram, opts: { threads?: number; relaxed?: boolean; minSplitMacs?: number } = {}): Promise<QuantExecutor> {
    const threads = Math.max(1, Math.floor(opts.threads ?? 1));
    const variant: WasmVariant = threads > 1 ? (opts.relaxed ? 'threads-relaxed' : 'threads') : opts.relaxed ? 'relaxed' : 'simd';
    let shared: WebAssembly.Memory | undefined;
    if (threads > 1) {
      const pages = await sharedPages(variant);
      shared = new WebAssembly.Memory({ initial: pages.initial, maximum: pages.maximum, shared: true } as WebAssembly.MemoryDescriptor);
    }
    const ex = await instantiateWasmKernels(variant, shared);
    let top = Math.ceil((ex.__heap_base.value as number) / ALIGN) * ALIGN;
    const alloc = (bytes: number): number => {
      const at = top;
      top += Math.ceil(Math.max(bytes, 16) / ALIGN) * ALIGN;
      return at;
    };
    const T = p.tensors;
    const tensorPtr = T.map((t) => alloc(bytesOf(t)));
    const it = T[p.input];
    const inputPtr = alloc(it.h * it.w * it.c * 4);
    const inputLut = p.inputLut ? alloc(256) : 0;
    const quantParams = alloc(8 * 4);
    let scratchBytes = 64;

    // each op: its parameter words (given its weight address), weight bytes and packer, export
    type Prep = { fn: keyof WasmKernelExports; words: (w: number, scratch: number) => Word[]; wBytes: number; pack?: (dv: DataView, at: number) => void; rows?: { fn: PoolFn; n: number; grain: number }; macs: number };
    const preps: (Prep | null)[] = p.ops.map((op): Prep | null => {
      const o = T[op.output];
      switch (op.kind) {
        case 'conv': {
          const xi = T[op.input];
          const [C, N] = [c8(xi.c), c8(op.cout)];
          const macs = o.h * o.w * op.cout * op.kh * op.kw * op.cin;
          if (op.depthwise) {
            return {
              fn: 'q_depthwise', macs, wBytes: (C / 8) * (64 + op.kh * op.kw * 16), pack: (dv, at) => packQDepthwise(op, C, dv, at),
              words: (w) => [xi.h, xi.w, o.h, o.w, C, op.strideH, op.strideW, op.dilH, op.dilW, op.padT, op.padL, op.kh, op.kw, xi.zp, tensorPtr[op.input], w, tensorPtr[op.output], ...qepi(op)],
              rows: { fn: 'q_depthwise_rows', n: o.h, grain: 1 },
            };
          }
          if (op.kh * op.kw === 1 && op.strideH === 1 && op.strideW === 1 && op.padT === 0 && op.padL === 0) {
            return {
              fn: 'q_pointwise', macs, wBytes: (N / 8) * (64 + C * 16), pack: (dv, at) => packQGemm(op, C, N, xi.zp, dv, at),
              words: (w) => [o.h * o.w, C, N, tensorPtr[op.input], w, tensorPtr[op.output], ...qepi(op)],
              rows: { fn: 'q_pointwise_rows', n: o.h * o.w, grain: 4 },
            };
          }
          const K = c8(op.kh * op.kw * op.cin);
          if (K > 16384) throw new Error(`int8 conv '${op.name}': ${op.kh}x${op.kw}x${op.cin} taps per output exceed the dense kernel's 16384`);
          return {
            fn: 'q_conv', macs, wBytes: (N / 8) * (64 + K * 16), pack: (dv, at) => packQGemm(op, K, N, xi.zp, dv, at),
            words: (w) => [xi.h, xi.w, C, o.h, o.w, N, op.cin, op.strideH, op.strideW, op.dilH, op.dilW, op.padT, op.padL, op.kh, op.kw, K, xi.zp, tensorPtr[op.input], w, tensorPtr[op.output], ...qepi(op)],
            rows: { fn: 'q_conv_rows', n: o.h, grain: 1 },
          };
        }
        case 'lut':
          return { fn: 'q_lut', macs: 0, wBytes: 256, pack: (dv, at) => op.table.forEach((v, i) => dv.setInt8(at + i, v)), words: (w) => [bytesOf(o), tensorPtr[op.input], tensorPtr[op.output], w] };
        case 'add': {
          const [a, b] = [T[op.a], T[op.b]];
          return { fn: 'q_add', macs: 0, wBytes: 0, words: () => [bytesOf(o), tensorPtr[op.a], tensorPtr[op.b], tensorPtr[op.output], { f: a.zp }, { f: b.zp }, { f: op.ma }, { f: op.mb }, { f: o.zp }, { f: op.lo }, { f: op.hi }] };
        }
        case 'mul_channel': {
          const [x, g] = [T[op.input], T[op.gate]];
          scratchBytes = Math.max(scratchBytes, c8(o.c) * 4);
          return {
            fn: 'q_mul_channel', macs: 0, wBytes: 0,
            words: (_w, s) => [x.h * x.w, c8(o.c), tensorPtr[op.input], tensorPtr[op.gate], tensorPtr[op.output], { f: x.zp }, { f: g.zp }, { f: op.m }, { f: o.zp }, { f: op.lo }, { f: op.hi }, s],
          };
        }
        case 'mean': {
          const x = T[op.input];
          scratchBytes = Math.max(scratchBytes, c8(o.c) * 4);
          return { fn: 'q_mean', macs: 0, wBytes: 0, words: (_w, s) => [x.h * x.w, c8(x.c), tensorPtr[op.input], tensorPtr[op.output], { f: x.zp }, { f: op.m }, { f: o.zp }, s] };
        }
        case 'softmax':
          return null;
      }
    });
    const wPtr = preps.map((pr) => (pr && pr.wBytes ? alloc(pr.wBytes) : 0));
    const scratch = alloc(scratchBytes);
    const paramPtr = preps.map((pr) => (pr ? alloc(pr.words(0, 0).length * 4) : 0));
    const ctrlPtr = threads > 1 ? alloc(controlWords(threads - 1) * 4) : 0;
    const stackTops = Array.from({ length: threads - 1 }, () => alloc(WORKER_STACK_BYTES) + WORKER_STACK_BYTES);
    const mem = ex.memory;
    if (top > mem.buffer.byteLength) mem.grow(Math.ceil((top - mem.buffer.byteLength) / PAGE));
    const buf = mem.buffer;
    const dv = new DataView(buf);
    new Uint8Array(buf, ctrlPtr, threads > 1 ? controlWords(threads - 1) * 4 : 0).fill(0);
    const write = (at: number, words: Word[]): void => words.forEach((v, j) => (typeof v === 'number' ? dv.setInt32(at + 4 * j, v, true) : dv.setFloat32(at + 4 * j, v.f, true)));
    if (p.inputLut) p.inputLut.forEach((v, i) => dv.setInt8(inputLut + i, v));
    write(quantParams, [it.h * it.w, it.c, c8(T[p.entry].c), inputPtr, tensorPtr[p.entry], { f: 1 / it.scale }, { f: it.zp }, inputLut]);

    const minSplit = opts.minSplitMacs ?? MIN_SPLIT_MACS;
    const poolRef: { pool: ThreadPool | null } = { pool: null };
    let splitSteps = 0;
    const steps: Step[] = p.ops.map((op, i): Step => {
      const pr = preps[i];
      if (!pr) {
        // softmax: on views of WASM memory (a classifier's few outputs)
        if (op.kind !== 'softmax') throw new Error('unreachable');
        const [x, o] = [T[op.input], T[op.output]];
        return {
          label: op.name, kind: op.kind, macs: 0,
          run: () => {
            const b = ex.memory.buffer;
            const xin = unpad(new Int8Array(b, tensorPtr[op.input], bytesOf(x)), x.h * x.w, x.c);
            const y = softmaxQ(xin, x, o, op.beta);
            pad8(y, x.h * x.w, o.c, new Int8Array(b, tensorPtr[op.output], bytesOf(o)));
          },
        };
      }
      if (pr.pack) pr.pack(dv, wPtr[i]);
      write(paramPtr[i], pr.words(wPtr[i], scratch));
      const fn = ex[pr.fn] as (p: number) => void;
      const at = paramPtr[i];
      const r = pr.rows;
      if (threads > 1 && r && r.n >= 2 * r.grain && pr.macs >= minSplit) {
        splitSteps++;
        const rowExport = ex[r.fn] as unknown as (p: number, a: number, b: number) => void;
        const own = (a: number, b: number): void => rowExport(at, a, b);
        return {
          label: op.name, kind: pr.fn, macs: pr.macs,
          run: () => {
            const pool = poolRef.pool;
            if (!pool) return fn(at);
            pool.run(r.fn, at, r.n, r.grain, own);
          },
        };
      }
      return { label: op.name, kind: pr.fn, macs: pr.macs, run: () => fn(at) };
    });
    const exec = new QuantExecutor(p, ex, tensorPtr, inputPtr, quantParams, steps, buf.byteLength);
    exec.variant = variant;
    if (threads > 1) {
      try {
        exec.pool = await ThreadPool.create(await wasmKernelModule(variant), mem, ctrlPtr, stackTops);
        poolRef.pool = exec.pool;
        exec.splitSteps = splitSteps;
      } catch (e) {
        exec.poolError = (e as Error).message;
        console.warn(`wasm backend: running single-threaded, the thread pool did not start: ${exec.poolError}`);
      }
    }
    return exec;
  }

  private runAll(data: Float32Array): void {
    if (this.disposed) throw new Error('wasm executor: the model was disposed');
    const it = this.program.tensors[this.program.input];
    if (data.length !== it.h * it.w * it.c) throw new Error(`wasm int8 executor: input has ${data.length} floats, expected ${it.h * it.w * it.c}`);
    new Float32Array(this.exports.memory.buffer, this.inputPtr, data.length).set(data);
    this.exports.q_quantize(this.quantParams);
    for (const s of this.steps) s.run();
  }

  /** unpadded NHWC float input -> the dequantized outputs */
  runUnpadded(data: Float32Array): Float32Array[] {
    this.runAll(data);
    return this.program.outputs.map((o) => {
      const t = this.program.tensors[o];
      const q = this.tensor(o);
      const out = new Float32Array(q.length);
      for (let i = 0; i < q.length; i++) out[i] = (q[i] - t.zp) * t.scale;
      return out;
    });
  }

  /** runs, then returns every tensor (int8, unpadded; tests compare them with runQuantReference) */
  runTensors(data: Float32Array): Int8Array[] {
    this.runAll(data);
    return this.program.tensors.map((t) => this.tensor(t.id));
  }

  private tensor(id: number): Int8Array {
    const t = this.program.tensors[id];
    return unpad(new Int8Array(this.exports.memory.buffer, this.tensorPtr[id], bytesOf(t)), t.h * t.w, t.c);
  }

  /** per-op wall time (median of `runs` after one warm-up) */
  profile(data: Float32Array, runs = 10): { label: string; kernel: string; ms: number; macs: number }[] {
    this.runAll(data);
    const times = this.steps.map(() => [] as number[]);
    for (let r = 0; r < runs; r++) {
      new Float32Array(this.exports.memory.buffer, this.inputPtr, data.length).set(data);
      this.exports.q_quantize(this.quantParams);
      this.steps.forEach((s, i) => {
        const t0 = performance.now();
        s.run();
        times[i].push(performance.now() - t0);
      });
    }
    return this.steps.map((s, i) => ({ label: s.label, kernel: s.kind, ms: times[i].sort((a, b) => a - b)[times[i].length >> 1], macs: s.macs }));
  }

  dispose(): void {
    this.disposed = true;
    this.pool?.close();
    this.pool = null;
    this.exports = null as unknown as WasmKernelExports;
  }
}

function unpad(src: Int8Array, px: number, c: number): Int8Array {
  const C = c8(c);
  if (C === c) return src.slice();
  const out = new Int8Array(px * c);
  for (let i = 0; i < px; i++) out.set(src.subarray(i * C, i * C + c), i * c);
  return out;
}

function pad8(src: Int8Array, px: number, c: number, dst: Int8Array): void {
  const C = c8(c);
  for (let i = 0; i < px; i++) dst.set(src.subarray(i * c, i * c + c), i * C);
}
