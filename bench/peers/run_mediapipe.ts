/**
 * MediaPipe Tasks (@mediapipe/tasks-vision) as a bench configuration, .tflite files only, in
 * the page: ImageClassifier for classifiers, ImageSegmenter (confidence masks) for masks, with
 * delegate 'CPU' or 'GPU'. The wasm fileset comes from node_modules (/wasm/mediapipe/).
 * MediaPipe's API is image-in: a run starts from an ImageData already in memory at the
 * model's size (the same pixels our float input was made from, so MediaPipe's own resize is
 * the identity) and ends with every score / the mask as a Float32Array in CPU memory.
 * Classifier: all categories (maxResults -1) scattered back to a 1001-vector by index.
 * A file MediaPipe refuses (e.g. it wants TFLite metadata) is a skipped row with its message.
 */
import { SkipError, type RunnerFactory } from '../lib/runner.js';

interface Category { index: number; score: number }
interface MpMask { getAsFloat32Array(): Float32Array; close(): void }
interface MpTask {
  classify?(img: ImageData): { classifications: { categories: Category[] }[] };
  segment?(img: ImageData): { confidenceMasks?: MpMask[]; categoryMask?: MpMask; close?(): void };
  close(): void;
}
interface TaskClass { createFromOptions(fileset: unknown, o: object): Promise<MpTask> }

export const createMediapipeRunner: RunnerFactory = async (job, host, inputs) => {
  const { config, model } = job;
  if (!inputs.tflite || !inputs.pixelsRgba) throw new Error(`MediaPipe runs .tflite files only, not model kind '${model.kind}'`);
  if (!host.loadMediapipe) throw new SkipError('MediaPipe Tasks runs in the browser page only');
  const { vision, fileset } = await host.loadMediapipe();
  const seg = model.task === 'segmentation';
  const cls = (seg ? vision.ImageSegmenter : vision.ImageClassifier) as TaskClass;
  const taskName = seg ? 'ImageSegmenter' : 'ImageClassifier';
  const baseOptions = { modelAssetBuffer: inputs.tflite, delegate: config.backend };
  const canvas = config.backend === 'GPU' ? { canvas: document.createElement('canvas') } : {};
  let task: MpTask;
  try {
    task = await cls.createFromOptions(fileset, seg
      ? { baseOptions, runningMode: 'IMAGE', outputConfidenceMasks: true, outputCategoryMask: false, ...canvas }
      : { baseOptions, runningMode: 'IMAGE', maxResults: -1, ...canvas });
  } catch (e) {
    throw new SkipError(`MediaPipe ${taskName} refused (delegate ${config.backend}): ${(e as Error)?.message ?? String(e)}`);
  }
  const { h, w } = model.input;
  const img = new ImageData(new Uint8ClampedArray(inputs.pixelsRgba), w, h);
  const refLen = model.referenceShape.reduce((a, b) => a * b, 1);
  return {
    layout: 'nhwc',
    info: { mediapipe: '1.1.0', task: taskName, delegate: config.backend, input: `ImageData ${w}x${h}` },
    async run() {
      if (seg) {
        const r = task.segment!(img);
        const masks = r.confidenceMasks ?? [];
        // one-class (sigmoid) model: the person mask is the only confidence mask
        const mask = masks[masks.length - 1];
        if (!mask) throw new Error(`${model.tflite}: MediaPipe returned no confidence mask`);
        const y = Float32Array.from(mask.getAsFloat32Array());
        r.close?.();
        for (const m of masks) m.close();
        return y;
      }
      const r = task.classify!(img);
      const y = new Float32Array(refLen);
      for (const c of r.classifications[0]?.categories ?? []) if (c.index >= 0 && c.index < refLen) y[c.index] = c.score;
      return y;
    },
    dispose() {
      task.close();
    },
  };
};
