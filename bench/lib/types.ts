/**
 * Plain data shared by the bench driver (Node), the bench page (chromium) and the Node
 * worker: which configurations exist, what a model's prepared assets are, what one job asks
 * for and what it gives back. Everything here crosses process boundaries as JSON.
 */

export type Family = 'ours' | 'tfjs' | 'ort' | 'litert' | 'mediapipe';
export type Where = 'browser' | 'node';

export interface ConfigSpec {
  /** stable key, e.g. 'ours-webgpu-fused', 'tfjs-wasm', 'ort-webgpu' */
  id: string;
  family: Family;
  /** ours: webgpu | cpu | wasm; tfjs: webgpu | webgl | wasm | cpu; ort: webgpu | wasm | cpu (onnxruntime-node) */
  backend: string;
  /** ours only: false = BatchNorm folding only, one dispatch per op */
  fuse?: boolean;
  /** ours, wasm only: RuntimeOptions.wasm (default: 'auto' threads and SIMD flavour) */
  wasm?: { threads?: number; simd?: 'auto' | 'relaxed' | 'baseline' };
  /** ours: LoadOptions.quantized for fully quantized .tflite files (default: int8 on wasm, float elsewhere) */
  quantized?: 'int8' | 'float';
  /** ours, webgpu only: LoadOptions.blockFusion (pointwise_chain steps); set explicitly so a row means the same plan on every adapter */
  blockFusion?: boolean;
  /** ours, webgpu only: LoadOptions.im2col (the stem as im2col + GEMM); absent: the adapter's default */
  im2col?: boolean;
  where: Where[];
}

export const CONFIGS: readonly ConfigSpec[] = [
  { id: 'ours-webgpu-blocks', family: 'ours', backend: 'webgpu', fuse: true, blockFusion: true, where: ['browser', 'node'] },
  { id: 'ours-webgpu-fused', family: 'ours', backend: 'webgpu', fuse: true, blockFusion: false, where: ['browser', 'node'] },
  // the fused steps plan with the stem as the direct conv2d (the software adapters' default before im2col)
  { id: 'ours-webgpu-fused-conv2d', family: 'ours', backend: 'webgpu', fuse: true, blockFusion: false, im2col: false, where: ['browser', 'node'] },
  { id: 'ours-webgpu-unfused', family: 'ours', backend: 'webgpu', fuse: false, where: ['browser', 'node'] },
  { id: 'ours-cpu', family: 'ours', backend: 'cpu', fuse: true, where: ['browser', 'node'] },
  { id: 'ours-wasm', family: 'ours', backend: 'wasm', fuse: true, where: ['browser', 'node'] },
  // the same wasm backend on one thread (relaxed SIMD where validated), and the old baseline build
  { id: 'ours-wasm-1t', family: 'ours', backend: 'wasm', fuse: true, wasm: { threads: 1 }, where: ['browser', 'node'] },
  { id: 'ours-wasm-baseline', family: 'ours', backend: 'wasm', fuse: true, wasm: { threads: 1, simd: 'baseline' }, where: ['browser', 'node'] },
  // quantized .tflite files: the wasm default runs them in int8; these force the dequantized float graph (a float file ignores it)
  { id: 'ours-wasm-float', family: 'ours', backend: 'wasm', fuse: true, quantized: 'float', where: ['browser', 'node'] },
  { id: 'ours-wasm-float-1t', family: 'ours', backend: 'wasm', fuse: true, quantized: 'float', wasm: { threads: 1 }, where: ['browser', 'node'] },
  { id: 'tfjs-webgpu', family: 'tfjs', backend: 'webgpu', where: ['browser'] },
  { id: 'tfjs-webgl', family: 'tfjs', backend: 'webgl', where: ['browser'] },
  { id: 'tfjs-wasm', family: 'tfjs', backend: 'wasm', where: ['browser', 'node'] },
  { id: 'tfjs-cpu', family: 'tfjs', backend: 'cpu', where: ['browser', 'node'] },
  { id: 'ort-webgpu', family: 'ort', backend: 'webgpu', where: ['browser'] },
  { id: 'ort-wasm', family: 'ort', backend: 'wasm', where: ['browser'] },
  { id: 'ort-cpu', family: 'ort', backend: 'cpu', where: ['node'] },
  // .tflite files only (model kind 'tflite-file'): LiteRT.js (@litertjs/core) and MediaPipe Tasks (@mediapipe/tasks-vision)
  { id: 'litert-webgpu', family: 'litert', backend: 'webgpu', where: ['browser'] },
  { id: 'litert-wasm', family: 'litert', backend: 'wasm', where: ['browser'] },
  { id: 'mediapipe-gpu', family: 'mediapipe', backend: 'GPU', where: ['browser'] },
  { id: 'mediapipe-cpu', family: 'mediapipe', backend: 'CPU', where: ['browser'] },
];

/** How a model is given to each family. */
export type ModelKind =
  /** built from our IR: every family runs it (TF.js via tfjs_from_ir, ORT via onnx_from_ir) */
  | 'ir'
  /** a real TF.js graph model: TF.js runs the file; ours only through src/import/tfjs */
  | 'tfjs-file'
  /** a real ONNX model: ORT runs the file; ours only through src/import/onnx */
  | 'onnx-file'
  /** a real .tflite file: LiteRT.js and MediaPipe run the file; ours through src/import/tflite */
  | 'tflite-file';

/** What the driver prepared for one model (URLs in the page, file paths in Node). */
export interface ModelAssets {
  id: string;
  label: string;
  kind: ModelKind;
  /** ir: graph.json + graph.bin (f32); also model.onnx */
  graphJson?: string;
  graphBin?: string;
  onnx?: string;
  /** tfjs-file: model.json (weights resolved next to it) */
  tfjsJson?: string;
  /** tflite-file: the .tflite file */
  tflite?: string;
  /** tflite-file: the input image at the model's size (crop + bilinear resize done), RGBA 8-bit, h*w*4 bytes */
  pixelsRgba?: string;
  /** tflite-file: the file's input type ('uint8', 'int8', 'float32'); a quantized input gets the pixels (q = p) */
  inputType?: string;
  /** tflite-file: the file's output quantization (LiteRT returns q; real = scale * (q - zeroPoint)) */
  outputQuant?: { scale: number; zeroPoint: number; type: string };
  /** tflite-file, fully quantized: the output of the integer program (our cpu path, quantized: 'int8'), f32; rows that run int8 are checked against it */
  referenceInt8?: string;
  /** tflite-file: the output grid step (1 quantization step of the output), for the int8 differences */
  outputStep?: number;
  /** tflite-file: what our importer detected ('classification' | 'segmentation' | 'features') */
  task?: string;
  /** this model's bound instead of the job's --tol (quantized peers round differently from a float runtime) */
  absTol?: number;
  /** NHWC [1,h,w,c] and NCHW [1,c,h,w] copies of the same seeded input (f32) */
  inputNhwc: string;
  inputNchw: string;
  /** h, w, c of the input */
  input: { h: number; w: number; c: number };
  /** input name for graph/ONNX files */
  inputName?: string;
  /** tfjs-file: the outputs to compute, in order (default: the model's outputs) */
  outputNames?: string[];
  /** which output (index into the peer's output list) is compared */
  compareOutput: number;
  /** the reference output (f32) and its layout / shape as the peer gives it */
  reference: string;
  referenceShape: number[];
  referenceLayout: 'nhwc' | 'nchw' | 'flat';
  /** what the input is (image and preprocessing, or seeded noise) */
  inputBy: string;
  /** what produced the reference */
  referenceBy: string;
  /** classification: report top-1 agreement */
  classification: boolean;
}

export interface Job {
  config: ConfigSpec;
  model: ModelAssets;
  /** timed runs after the warm-up */
  runs: number;
  warmupRuns: number;
  warmupMs: number;
  /** max |y - ref| allowed: absTol * max(1, max|ref|) */
  absTol: number;
  /** 0: none; else the job's time budget in ms (warm-up and runs are cut, see timeRuns) */
  maxJobMs: number;
  /** time even when the cold output does not match */
  timeMismatched: boolean;
  /** ours on WebGPU: per-dispatch GPU times */
  profile: boolean;
  repeat: number;
}

export interface Stats {
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
  n: number;
}

export interface Comparison {
  maxAbsDiff: number;
  maxAbsRef: number;
  bound: number;
  relL2: number;
  nonFinite: number;
  top1?: number;
  refTop1?: number;
  ok: boolean;
}

export interface DispatchTime {
  label: string;
  node: string;
  kernel: string;
  ms: number;
}

export interface JobResult {
  configId: string;
  modelId: string;
  repeat: number;
  status: 'ok' | 'mismatch' | 'skipped' | 'error';
  /** why skipped / the error text */
  message?: string;
  /** remarks on an ok row (e.g. runs cut by the time budget) */
  note?: string;
  loadMs?: number;
  coldMs?: number;
  warmupRuns?: number;
  warmupMs?: number;
  times?: number[];
  stats?: Stats;
  /** cold output vs the reference; `last` = last timed run vs the reference */
  cold?: Comparison;
  last?: Comparison;
  dispatches?: number;
  /** ours: median over profiled runs of the sum of per-dispatch timestamp durations */
  gpuMs?: number;
  profile?: DispatchTime[];
  /** backend details (threads, adapter, EP...) */
  info: Record<string, string | number | boolean>;
  /** console warnings/errors seen while the job ran */
  logs?: string[];
}
