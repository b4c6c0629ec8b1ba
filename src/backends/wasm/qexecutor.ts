/**
 * Runs an integer program (src/graph/qprogram.ts: a quantized TFLite file loaded with
 * `quantized: 'int8'`) with the int8 kernels of qkernels.c, in one WASM memory laid out at load:
 * one int8 slot per tensor (channels padded to 8), the weights packed per kernel, one parameter
 * block per op. The thread pool (pool.ts) splits pointwise / dense conv / depthwise rows.
 * The result equals runQuantReference bit for bit (test/unit/wasm_int8.test.ts).
 */
import { hswishK, softmaxQ, softmaxTable, type QConv, type QOp, type QProgram, type QTensor } from '../../graph/qprogram.js';
import { instantiateWasmKernels, sharedPages, wasmKernelModule, type WasmKernelExports, type WasmVariant } from './loader.js';
import { ThreadPool, WORKER_STACK_BYTES, controlWords, startPool, type PoolFn } from './pool.js';
import { WasmImageInput } from './image_input.js';
import { WasmArena } from './arena.js';
import type { ImageLike, Preprocess } from '../../model/preprocess.js';

const c8 = (c: number): number => Math.ceil(c / 8) * 8;
/** below this many MACs an op stays on the calling thread */
const MIN_SPLIT_MACS = 150_000;
/** elementwise ops: below this many elements (~10 us of work) they stay on the calling thread */
const MIN_SPLIT_ELEMENTS = 16_384;

type Word = number | { f: number };

/** QEpi (qkernels.c): zp, lo, hi, has_hs, s1, z1, k = s1 / (6 s2), z2 */
function qepi(op: QConv): Word[] {
  const h = op.hswish;
  return [{ f: op.zp }, { f: op.lo }, { f: op.hi }, h ? 1 : 0, { f: h?.s1 ?? 0 }, { f: h?.z1 ?? 0 }, { f: h ? hswishK(h) : 0 }, { f: h?.z2 ?? 0 }];
}

/** GEMM panels: per 8 output channels [bias' i32 x8][mult f32 x8][K/2 x 16 i16]; k indexes the conv's [kh][kw][cin] rows */
export function packQGemm(op: QConv, K: number, N: number, zx: number, dst: DataView, at: number): void {
  if (K % 8 !== 0 || N % 8 !== 0) throw new Error(`int8 GEMM '${op.name}': K ${K} and N ${N} must be multiples of 8 (qkernels.c reads 8 channels at a time)`);
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

/** depthwise blocks: per 8 channels [bias i32 x8][mult f32 x8][taps x 8 i16][kh x ceil(kw/2) tap pairs x 16 i16][kh x 8 row sums i32] (qkernels.c) */
export const qDepthwiseBlockBytes = (kh: number, kw: number): number => 64 + kh * kw * 16 + kh * Math.ceil(kw / 2) * 32 + kh * 32;

export function packQDepthwise(op: QConv, C: number, dst: DataView, at: number): void {
  const { kh, kw, cout } = op;
  const T = kh * kw;
  const pairs = Math.ceil(kw / 2);
  const blockBytes = qDepthwiseBlockBytes(kh, kw);
  const w = (ky: number, kx: number, c: number): number => (c < cout && kx < kw ? op.weights[(ky * kw + kx) * cout + c] : 0);
  for (let c0 = 0; c0 < C; c0 += 8) {
    const base = at + (c0 / 8) * blockBytes;
    for (let j = 0; j < 8; j++) {
      const c = c0 + j;
      dst.setInt32(base + j * 4, c < cout ? op.bias[c] : 0, true);
      dst.setFloat32(base + 32 + j * 4, c < cout ? op.mult[c] : 0, true);
      for (let t = 0; t < T; t++) dst.setInt16(base + 64 + (t * 8 + j) * 2, w(Math.floor(t / kw), t % kw, c), true);
    }
    let o = base + 64 + T * 16;
    for (let ky = 0; ky < kh; ky++)
      for (let pr = 0; pr < pairs; pr++)
        for (let j = 0; j < 8; j++) {
          dst.setInt16(o, w(ky, 2 * pr, c0 + j), true);
          dst.setInt16(o + 2, w(ky, 2 * pr + 1, c0 + j), true);
          o += 4;
        }
    for (let ky = 0; ky < kh; ky++)
      for (let j = 0; j < 8; j++) {
        let sum = 0;
        for (let kx = 0; kx < kw; kx++) sum += w(ky, kx, c0 + j);
        dst.setInt32(o, sum, true);
        o += 4;
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
  private image: WasmImageInput | null = null;
  /** why the requested thread pool did not start (then one thread) */
  poolError: string | null = null;
  variant: WasmVariant = 'simd';
  /** ops split across the pool's threads */
  splitSteps = 0;
  /** depthwise inputs stored with a zero-point border */
  paddedTensors = 0;

  private constructor(
    readonly program: QProgram,
    private exports: WasmKernelExports,
    private readonly tensorPtr: number[],
    private readonly stride: number[],
    private readonly rowBytes: number[],
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
    const arena = new WasmArena(ex);
    const alloc = (bytes: number): number => arena.alloc(bytes);
    const T = p.tensors;
    // channel stride per tensor: padded to 8, except an input that only dense convs read (the
    // stem): unpadded, so that one kernel row is contiguous (qkernels.c q_conv_rows)
    const readers = p.ops.filter((op) => inputsOf(op).includes(p.entry));
    const denseOnly = readers.length > 0 && readers.every((op) => op.kind === 'conv' && !op.depthwise && op.kh * op.kw > 1) && !p.outputs.includes(p.entry);
    const stride = T.map((t) => (t.id === p.entry && denseOnly ? t.c : c8(t.c)));
    // a depthwise conv's input that only it reads, written by a conv: a buffer with a border of
    // zero point (filled once here; producers write the interior), so the depthwise kernel runs
    // every pixel in 4-pixel groups without bounds checks (qkernels.c QDwParams.padded)
    const producer = new Map(p.ops.map((op) => [op.output, op] as const));
    const pad = T.map(() => null as null | { top: number; left: number; rows: number; cols: number });
    for (const op of p.ops) {
      if (op.kind !== 'conv' || !op.depthwise) continue;
      const x = T[op.input];
      const prod = producer.get(op.input);
      if (!prod || prod.kind !== 'conv' || prod.depthwise || p.outputs.includes(op.input) || p.ops.filter((o) => inputsOf(o).includes(op.input)).length !== 1) continue;
      const o = T[op.output];
      const lastGroup = 4 * Math.floor((o.w - 1) / 4) + 3;
      const rows = Math.max(op.padT + x.h, (o.h - 1) * op.strideH + (op.kh - 1) * op.dilH + 1);
      const cols = Math.max(op.padL + x.w, lastGroup * op.strideW + (op.kw - 1) * op.dilW + 1);
      pad[x.id] = { top: op.padT, left: op.padL, rows, cols };
    }
    /** bytes per row and offset of pixel (0, 0) in each tensor's slot */
    const rowBytes = T.map((t) => (pad[t.id] ? pad[t.id]!.cols : t.w) * stride[t.id]);
    const origin = T.map((t) => (pad[t.id] ? (pad[t.id]!.top * pad[t.id]!.cols + pad[t.id]!.left) * stride[t.id] : 0));
    const slotBytes = T.map((t) => (pad[t.id] ? pad[t.id]!.rows * rowBytes[t.id] : t.h * t.w * stride[t.id]));
    const bytesOf = (t: QTensor): number => t.h * t.w * stride[t.id];
    // + slack: the kernels read up to 16 bytes past a row (q_conv_rows' contiguous copies)
    const slotPtr = T.map((t) => alloc(slotBytes[t.id] + 16));
    const tensorPtr = T.map((t) => slotPtr[t.id] + origin[t.id]);
    const it = T[p.input];
    const inputPtr = alloc(it.h * it.w * it.c * 4);
    const inputLut = p.inputLut ? alloc(256) : 0;
    const quantParams = alloc(8 * 4);
    let scratchBytes = 64;

    // each op: its parameter words (given its weight address), weight bytes and packer, export
    type Prep = {
      fn: keyof WasmKernelExports;
      words: (w: number, scratch: number) => Word[];
      wBytes: number;
      pack?: (dv: DataView, at: number) => void;
      /** the row-range export the pool splits; `elements`: an elementwise op (its threshold is MIN_SPLIT_ELEMENTS); `prep`: run once before splitting */
      rows?: { fn: PoolFn; n: number; grain: number; elements?: number; prep?: keyof WasmKernelExports };
      macs: number;
    };
    const preps: (Prep | null)[] = p.ops.map((op): Prep | null => {
      const o = T[op.output];
      switch (op.kind) {
        case 'conv': {
          const xi = T[op.input];
          const [C, N] = [stride[op.input], c8(op.cout)];
          const macs = o.h * o.w * op.cout * op.kh * op.kw * op.cin;
          if (op.depthwise) {
            return {
              fn: 'q_depthwise', macs, wBytes: (C / 8) * qDepthwiseBlockBytes(op.kh, op.kw), pack: (dv, at) => packQDepthwise(op, C, dv, at),
              words: (w) => [
                xi.h, xi.w, o.h, o.w, C, op.strideH, op.strideW, op.dilH, op.dilW, op.padT, op.padL, op.kh, op.kw, xi.zp,
                pad[op.input] ? slotPtr[op.input] : tensorPtr[op.input], w, tensorPtr[op.output], ...qepi(op), pad[op.input] ? 1 : 0, rowBytes[op.input],
              ],
              rows: { fn: 'q_depthwise_rows', n: o.h, grain: 1 },
            };
          }
          if (op.kh * op.kw === 1 && op.strideH === 1 && op.strideW === 1 && op.padT === 0 && op.padL === 0) {
            return {
              fn: 'q_pointwise', macs, wBytes: (N / 8) * (64 + C * 16), pack: (dv, at) => packQGemm(op, C, N, xi.zp, dv, at),
              words: (w) => [o.h * o.w, C, N, tensorPtr[op.input], w, tensorPtr[op.output], ...qepi(op), o.w, rowBytes[op.output]],
              rows: { fn: 'q_pointwise_rows', n: o.h * o.w, grain: 4 },
            };
          }
          const K = c8(op.kh * op.kw * op.cin); // zero weights past the real taps: the GEMM runs 8 channels at a time
          if (K > 16384) throw new Error(`int8 conv '${op.name}': ${op.kh}x${op.kw}x${op.cin} taps per output exceed the dense kernel's 16384`);
          return {
            fn: 'q_conv', macs, wBytes: (N / 8) * (64 + K * 16), pack: (dv, at) => packQGemm(op, K, N, xi.zp, dv, at),
            words: (w) => [xi.h, xi.w, C, o.h, o.w, N, op.cin, op.strideH, op.strideW, op.dilH, op.dilW, op.padT, op.padL, op.kh, op.kw, K, xi.zp, tensorPtr[op.input], w, tensorPtr[op.output], ...qepi(op), rowBytes[op.output]],
            rows: { fn: 'q_conv_rows', n: o.h, grain: 1 },
          };
        }
        case 'lut':
          return { fn: 'q_lut', macs: 0, wBytes: 256, pack: (dv, at) => op.table.forEach((v, i) => dv.setInt8(at + i, v)), words: (w) => [bytesOf(o), tensorPtr[op.input], tensorPtr[op.output], w] };
        case 'add': {
          const [a, b] = [T[op.a], T[op.b]];
          return { fn: 'q_add', macs: 0, wBytes: 0, rows: { fn: 'q_add_rows', n: bytesOf(o) / 8, grain: 16, elements: bytesOf(o) }, words: () => [bytesOf(o), tensorPtr[op.a], tensorPtr[op.b], tensorPtr[op.output], { f: a.zp }, { f: b.zp }, { f: op.ma }, { f: op.mb }, { f: o.zp }, { f: op.lo }, { f: op.hi }] };
        }
        case 'mul_channel': {
          const [x, g] = [T[op.input], T[op.gate]];
          scratchBytes = Math.max(scratchBytes, c8(o.c) * 4);
          return {
            fn: 'q_mul_channel', macs: 0, wBytes: 0, rows: { fn: 'q_mul_channel_rows', n: x.h * x.w, grain: 8, elements: bytesOf(o), prep: 'q_mul_channel_prep' },
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
    const buf = arena.commit();
    const dv = new DataView(buf);
    new Uint8Array(buf, ctrlPtr, threads > 1 ? controlWords(threads - 1) * 4 : 0).fill(0);
    const write = (at: number, words: Word[]): void => words.forEach((v, j) => (typeof v === 'number' ? dv.setInt32(at + 4 * j, v, true) : dv.setFloat32(at + 4 * j, v.f, true)));
    if (p.inputLut) p.inputLut.forEach((v, i) => dv.setInt8(inputLut + i, v));
    for (const t of T) if (pad[t.id]) new Int8Array(buf, slotPtr[t.id], slotBytes[t.id]).fill(t.zp);
    write(quantParams, [it.h * it.w, it.c, stride[p.entry], inputPtr, tensorPtr[p.entry], { f: 1 / it.scale }, { f: it.zp }, inputLut]);

    const minSplit = opts.minSplitMacs ?? MIN_SPLIT_MACS;
    const poolRef: { pool: ThreadPool | null } = { pool: null };
    let splitSteps = 0;
    const steps: Step[] = p.ops.map((op, i): Step => {
      const pr = preps[i];
      if (!pr) {
        // softmax: on views of WASM memory (a classifier's few outputs)
        if (op.kind !== 'softmax') throw new Error('unreachable');
        const [x, o] = [T[op.input], T[op.output]];
        const table = softmaxTable(x.scale, op.beta);
        const y = new Int8Array(x.h * x.w * x.c);
        return {
          label: op.name, kind: op.kind, macs: 0,
          run: () => {
            const b = ex.memory.buffer;
            const xin = unpad(new Int8Array(b, tensorPtr[op.input], bytesOf(x)), x.h * x.w, x.c);
            softmaxQ(xin, x, o, op.beta, y, table);
            pad8(y, x.h * x.w, o.c, new Int8Array(b, tensorPtr[op.output], bytesOf(o)));
          },
        };
      }
      if (pr.pack) pr.pack(dv, wPtr[i]);
      write(paramPtr[i], pr.words(wPtr[i], scratch));
      const fn = ex[pr.fn] as (p: number) => void;
      const at = paramPtr[i];
      const r = pr.rows;
      const worth = r ? (r.elements !== undefined ? r.elements >= Math.min(MIN_SPLIT_ELEMENTS, minSplit) : pr.macs >= minSplit) : false;
      if (threads > 1 && r && r.n >= 2 * r.grain && worth) {
        splitSteps++;
        const rowExport = ex[r!.fn] as unknown as (p: number, a: number, b: number) => void;
        const prep = r!.prep ? (ex[r!.prep] as (p: number) => void) : null;
        const own = (a: number, b: number): void => rowExport(at, a, b);
        return {
          label: op.name, kind: pr.fn, macs: pr.macs,
          run: () => {
            const pool = poolRef.pool;
            if (!pool) return fn(at);
            if (prep) prep(at);
            pool.run(r!.fn, at, r!.n, r!.grain, own);
          },
        };
      }
      return { label: op.name, kind: pr.fn, macs: pr.macs, run: () => fn(at) };
    });
    const exec = new QuantExecutor(p, ex, tensorPtr, stride, rowBytes, inputPtr, quantParams, steps, buf.byteLength);
    exec.paddedTensors = pad.filter(Boolean).length;
    exec.variant = variant;
    if (threads > 1) {
      const { pool, error } = await startPool(await wasmKernelModule(variant), mem, ctrlPtr, stackTops);
      exec.pool = poolRef.pool = pool;
      exec.poolError = error;
      if (pool) exec.splitSteps = splitSteps;
    }
    return exec;
  }

  /** checks the float input, copies it in and quantizes it into the entry tensor */
  private writeInput(data: Float32Array): void {
    if (this.disposed) throw new Error('wasm executor: the model was disposed');
    const it = this.program.tensors[this.program.input];
    if (data.length !== it.h * it.w * it.c) throw new Error(`wasm int8 executor: input has ${data.length} floats, expected ${it.h * it.w * it.c}`);
    new Float32Array(this.exports.memory.buffer, this.inputPtr, data.length).set(data);
    this.exports.q_quantize(this.quantParams);
  }

  private runAll(data: Float32Array): void {
    this.writeInput(data);
    for (const s of this.steps) s.run();
  }

  /** unpadded NHWC float input -> the dequantized outputs */
  runUnpadded(data: Float32Array): Float32Array[] {
    this.runAll(data);
    return this.dequantizedOutputs();
  }

  /**
   * Model.run(image): the image preprocessed in WASM (image.c) into the float input, quantized,
   * run; null (nothing run) where the input is not the preprocessing's RGB image or the memory
   * cannot grow for the image (the caller preprocesses in TypeScript).
   */
  runImage(img: ImageLike, pre: Preprocess): { outputs: Float32Array[]; preprocessMs: number } | null {
    if (this.disposed) throw new Error('wasm executor: the model was disposed');
    const it = this.program.tensors[this.program.input];
    if (it.c !== 3 || it.h !== pre.height || it.w !== pre.width) return null;
    const t0 = performance.now();
    this.image ??= new WasmImageInput(this.exports);
    if (!this.image.write(img, pre, this.inputPtr, 3)) return null;
    this.exports.q_quantize(this.quantParams);
    const preprocessMs = performance.now() - t0;
    for (const s of this.steps) s.run();
    return { outputs: this.dequantizedOutputs(), preprocessMs };
  }

  private dequantizedOutputs(): Float32Array[] {
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
    const C = this.stride[id];
    const row = this.rowBytes[id];
    const b = this.exports.memory.buffer;
    if (row === t.w * C) return unpad(new Int8Array(b, this.tensorPtr[id], t.h * t.w * C), t.h * t.w, t.c, C);
    const out = new Int8Array(t.h * t.w * t.c);
    for (let y = 0; y < t.h; y++) out.set(unpad(new Int8Array(b, this.tensorPtr[id] + y * row, t.w * C), t.w, t.c, C), y * t.w * t.c);
    return out;
  }

  /** per-op wall time (median of `runs` after one warm-up) */
  profile(data: Float32Array, runs = 10): { label: string; kernel: string; ms: number; macs: number }[] {
    this.runAll(data);
    const times = this.steps.map(() => [] as number[]);
    for (let r = 0; r < runs; r++) {
      this.writeInput(data);
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

const inputsOf = (op: QOp): number[] => (op.kind === 'add' ? [op.a, op.b] : op.kind === 'mul_channel' ? [op.input, op.gate] : [op.input]);

function unpad(src: Int8Array, px: number, c: number, C = c8(c)): Int8Array {
  if (C === c) return src.slice();
  const out = new Int8Array(px * c);
  for (let i = 0; i < px; i++) out.set(src.subarray(i * C, i * C + c), i * c);
  return out;
}

function pad8(src: Int8Array, px: number, c: number, dst: Int8Array): void {
  const C = c8(c);
  for (let i = 0; i < px; i++) dst.set(src.subarray(i * c, i * c + c), i * C);
}
