/**
 * The measurement of bench/wasm_int8.ts, run the same way in Node and in a chromium page (there
 * the sources come from the demo's Vite dev server: `src` is the URL prefix of src/).
 */
interface KernelRow {
  kernel: string;
  ms: number;
  macs: number;
}
export interface Int8Profile {
  threads: number;
  float: KernelRow[];
  int8: KernelRow[];
  /** [min, median] ms of 200 interleaved whole runs */
  whole: { float: [number, number]; int8: [number, number] };
}

function byKernel(steps: { kernel: string; ms: number; macs: number }[]): KernelRow[] {
  const m = new Map<string, KernelRow>();
  for (const s of steps) {
    const e = m.get(s.kernel) ?? { kernel: s.kernel, ms: 0, macs: 0 };
    e.ms += s.ms;
    e.macs += s.macs;
    m.set(s.kernel, e);
  }
  return [...m.values()].sort((a, b) => b.ms - a.ms);
}

export async function profileInt8(bytes: Uint8Array, file: string, threadList: number[], src: string): Promise<Int8Profile[]> {
  const imp = (p: string): Promise<Record<string, unknown>> => import(/* @vite-ignore */ src + p);
  const { importTflite } = (await imp('import/tflite.ts')) as typeof import('../../src/import/tflite.js');
  const { QuantExecutor } = (await imp('backends/wasm/qexecutor.ts')) as typeof import('../../src/backends/wasm/qexecutor.js');
  const { WasmExecutor } = (await imp('backends/wasm/executor.ts')) as typeof import('../../src/backends/wasm/executor.js');
  const { planSource } = (await imp('runtime.ts')) as typeof import('../../src/runtime.js');
  const { padChannels } = (await imp('graph/layout.ts')) as typeof import('../../src/graph/layout.js');
  const source = importTflite(bytes, file);
  const program = source.quantProgram!();
  const plan = planSource(source);
  const { h, w, c } = plan.input;
  const x = new Float32Array(h * w * c).map((_, i) => ((i * 7919) % 255) / 127 - 1);
  const out: Int8Profile[] = [];
  for (const threads of threadList) {
    const fe = await WasmExecutor.create(plan, { threads, relaxed: true });
    const qe = await QuantExecutor.create(program, { threads, relaxed: true });
    try {
      const float = byKernel(fe.profile(padChannels(x, h * w, c), 30, 'min'));
      const int8 = byKernel(qe.profile(x, 30));
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < 200; i++) {
        let t0 = performance.now();
        fe.runUnpadded(x);
        a.push(performance.now() - t0);
        t0 = performance.now();
        qe.runUnpadded(x);
        b.push(performance.now() - t0);
      }
      a.sort((u, v) => u - v);
      b.sort((u, v) => u - v);
      out.push({ threads, float, int8, whole: { float: [a[0], a[100]], int8: [b[0], b[100]] } });
    } finally {
      fe.dispose();
      qe.dispose();
    }
  }
  return out;
}
