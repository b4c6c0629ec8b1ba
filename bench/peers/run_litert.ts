/**
 * LiteRT.js (@litertjs/core) as a bench configuration, .tflite files only, in the page.
 * wasm: the threaded XNNPACK build when the page is cross-origin isolated; webgpu: the JSPI
 * build (ops WebGPU cannot run fall back to wasm per op). Wasm files come from
 * node_modules/@litertjs/core/wasm, served at /wasm/litert/ (no CDN).
 * A run: new Tensor(input in CPU memory, in the file's input type: a uint8 input gets the
 * pixels, q = p, which is exactly what our Preprocess dequantizes) -> model.run -> every
 * output moved to wasm (CPU) memory and read as a typed array. A quantized output is
 * dequantized with the file's scale / zero point for the comparison (not timed differently:
 * the read-back is inside the run).
 * A file or accelerator LiteRT refuses at load is a skipped row carrying LiteRT's message.
 */
import { SkipError, type RunnerFactory } from '../lib/runner.js';

interface LTensor {
  toTypedArray(): ArrayLike<number>;
  moveTo(dest: string): Promise<LTensor>;
  accelerator: string;
  delete(): void;
}
interface LModel {
  run(x: LTensor): Promise<LTensor[]>;
  getInputDetails(): readonly { dtype: string; shape: Int32Array }[];
  getOutputDetails(): readonly { dtype: string; shape: Int32Array }[];
  isFullyAccelerated?: boolean;
  delete(): void;
}
interface Litert {
  loadAndCompile(bytes: Uint8Array, o: object): Promise<LModel>;
  Tensor: new (data: ArrayLike<number>, shape: number[]) => LTensor;
  threads: boolean;
  jspi: boolean;
}

export const createLitertRunner: RunnerFactory = async (job, host, inputs) => {
  const { config, model } = job;
  if (!inputs.tflite) throw new Error(`LiteRT.js runs .tflite files only, not model kind '${model.kind}'`);
  if (!host.loadLitert) throw new SkipError('LiteRT.js runs in the browser page only');
  const lt = (await host.loadLitert(config.backend)) as unknown as Litert;
  let m: LModel;
  try {
    m = await lt.loadAndCompile(inputs.tflite, { accelerator: config.backend });
  } catch (e) {
    throw new SkipError(`LiteRT.js refused (${config.backend}): ${(e as Error)?.message ?? String(e)}`);
  }
  const din = m.getInputDetails()[0];
  const { h, w, c } = model.input;
  // a dynamic batch (-1) in the file's signature: the bench's one image
  const shape = [...din.shape].some((d) => d < 1) ? [1, h, w, c] : [...din.shape];
  let x: ArrayLike<number>;
  if (din.dtype === 'uint8' || din.dtype === 'int8') {
    const px = inputs.pixelsRgba!;
    const q = din.dtype === 'uint8' ? new Uint8Array(h * w * c) : new Int8Array(h * w * c);
    for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) q[i * c + k] = din.dtype === 'uint8' ? px[i * 4 + k] : px[i * 4 + k] - 128;
    x = q;
  } else if (din.dtype === 'float32') x = inputs.nhwc;
  else throw new Error(`${model.tflite}: LiteRT input type '${din.dtype}' is not handled by the bench`);
  const oq = model.outputQuant;
  const outDetails = m.getOutputDetails();
  return {
    layout: 'nhwc',
    info: {
      litert: '2.5.3', accelerator: config.backend, inputType: din.dtype, outputType: outDetails[0]?.dtype ?? '',
      wasmBuild: lt.threads ? 'threaded' : 'jspi', fullyAccelerated: m.isFullyAccelerated ?? 'n/a',
      hardwareConcurrency: navigator.hardwareConcurrency,
    },
    async run() {
      const t = new lt.Tensor(x, shape);
      const outs = await m.run(t);
      t.delete();
      let y: Float32Array | undefined;
      for (const [i, o] of outs.entries()) {
        const cpu = o.accelerator === 'wasm' ? o : await o.moveTo('wasm');
        const a = cpu.toTypedArray();
        if (i === model.compareOutput) {
          y = new Float32Array(a.length);
          if (oq && !(a instanceof Float32Array)) for (let k = 0; k < a.length; k++) y[k] = oq.scale * (a[k] - oq.zeroPoint);
          else y.set(a);
        }
        cpu.delete();
        if (cpu !== o) o.delete();
      }
      return y!;
    },
    dispose() {
      m.delete();
    },
  };
};
