/** Loading model files from disk for the CLI (Node only): TFLite, ONNX, TF.js graph models. */
import { readFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ModelSource } from '../model/source.js';
import { importTflite } from '../import/tflite.js';
import { importOnnx } from '../import/onnx.js';
import { importTfjs } from '../import/tfjs.js';

export const isModelFile = (arg: string | undefined): boolean => !!arg && /\.(tflite|onnx|json)$/i.test(arg);

export function loadModelFile(path: string, size?: number | [number, number]): ModelSource {
  if (!existsSync(path)) throw new Error(`model file not found: ${path}`);
  const hw = size === undefined ? undefined : typeof size === 'number' ? [size, size] : size;
  const sizeOpts = hw ? { inputHeight: hw[0], inputWidth: hw[1] } : {};
  const file = basename(path);
  if (/\.tflite$/i.test(path)) return importTflite(new Uint8Array(readFileSync(path)), file);
  if (/\.onnx$/i.test(path)) return importOnnx(new Uint8Array(readFileSync(path)), file, sizeOpts);
  if (/\.json$/i.test(path)) {
    const dir = dirname(path);
    return importTfjs(readFileSync(path, 'utf8'), (p) => new Uint8Array(readFileSync(join(dir, p))), file, sizeOpts);
  }
  throw new Error(`${file}: unknown model file type (expected .tflite, .onnx or a TF.js model.json)`);
}

/** ImageNet labels: --labels PATH, else ../shared/data/imagenet_labels.json when present. */
export function loadLabels(path?: string): string[] | undefined {
  const p = path ?? '../shared/data/imagenet_labels.json';
  if (!existsSync(p)) {
    if (path) throw new Error(`labels file not found: ${path}`);
    return undefined;
  }
  const v = JSON.parse(readFileSync(p, 'utf8')) as unknown;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new Error(`${p}: expected a JSON array of label strings`);
  return v as string[];
}
