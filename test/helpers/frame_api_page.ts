/**
 * Browser side of test/e2e/frame_api_browser.test.ts (loaded as a module into a page of the
 * Vite dev server): the public frame API on a real photo with a trained classifier, in the
 * page (runFrame on a VideoFrame, an ImageBitmap and ImageData vs model.run on the same
 * pixels) and in a Web Worker (model.stream over a ReadableStream of VideoFrames drawn from
 * an OffscreenCanvas). Publishes window.__frameApi.
 */
import { createRuntime, importTflite, type Backend } from '../../src/index.js';
import { MODEL_URL, argmax, frameCase, type FrameCase, type PageReport, type WorkerReport } from './frame_api_shared.js';

export type { PageReport, WorkerReport } from './frame_api_shared.js';

async function photo(name: string): Promise<{ bitmap: ImageBitmap; pixels: ImageData }> {
  const r = await fetch(`/images/${name}`);
  if (!r.ok) throw new Error(`/images/${name}: HTTP ${r.status}`);
  const bitmap = await createImageBitmap(await r.blob());
  const c = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = c.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  return { bitmap, pixels: ctx.getImageData(0, 0, bitmap.width, bitmap.height) };
}

function inWorker(backend: Backend, bitmap: ImageBitmap, frames: number): Promise<WorkerReport> {
  const worker = new Worker(new URL('./frame_api_worker.ts', import.meta.url), { type: 'module' });
  return new Promise<WorkerReport>((resolve) => {
    const timer = setTimeout(() => resolve({ error: 'the worker gave no answer within 200 s' }), 200_000);
    worker.onmessage = (e: MessageEvent<WorkerReport>) => {
      clearTimeout(timer);
      worker.terminate();
      resolve(e.data);
    };
    worker.onerror = (e) => {
      clearTimeout(timer);
      resolve({ error: `worker error: ${e.message}` });
    };
    worker.postMessage({ backend, bitmap, frames, modelUrl: MODEL_URL }, [bitmap]);
  });
}

async function run(backend: Backend, image: string, frames: number): Promise<PageReport> {
  const rt = await createRuntime({ backend });
  const bytes = new Uint8Array(await (await fetch(MODEL_URL)).arrayBuffer());
  const model = await rt.load(importTflite(bytes, MODEL_URL.replace(/^.*\//, '')));
  const offset = model.task?.kind === 'classification' ? model.task.labelOffset : 0;
  const { bitmap, pixels } = await photo(image);
  const ref = await model.run(pixels);
  const vf = new VideoFrame(bitmap, { timestamp: 0 });
  const videoFrame = frameCase(await model.runFrame(vf), ref);
  vf.close();
  const bitmapCase = frameCase(await model.runFrame(bitmap), ref);
  const imageData = frameCase(await model.runFrame(pixels), ref);
  const roi = { x: 11, y: 7, width: bitmap.width - 40, height: bitmap.height - 20 };
  const region = new ImageData(roi.width, roi.height);
  for (let y = 0; y < roi.height; y++) {
    const from = ((roi.y + y) * pixels.width + roi.x) * 4;
    region.data.set(pixels.data.subarray(from, from + roi.width * 4), y * roi.width * 4);
  }
  const roiBitmap = frameCase(await model.runFrame(bitmap, { roi }), await model.run(region));
  model.dispose();
  // the canvas fallback: a browser whose VideoFrame.copyTo fails (a fresh model, so its frame
  // runner has not used copyTo yet); the runner notes the failure and reads through a canvas
  let canvasFallback: FrameCase | undefined;
  if (backend !== 'webgpu') {
    const proto = VideoFrame.prototype as unknown as { copyTo: unknown };
    const copyTo = proto.copyTo;
    proto.copyTo = () => Promise.reject(new Error('simulated copyTo failure'));
    try {
      const m2 = await rt.load(importTflite(bytes, MODEL_URL.replace(/^.*\//, '')));
      const vf2 = new VideoFrame(bitmap, { timestamp: 1 });
      canvasFallback = frameCase(await m2.runFrame(vf2), ref);
      vf2.close();
      m2.dispose();
    } finally {
      proto.copyTo = copyTo;
    }
  }
  rt.dispose();
  const worker = await inWorker(backend, bitmap, frames);
  return { backend: rt.backend, ref: argmax(ref) - offset, videoFrame, bitmap: bitmapCase, imageData, roiBitmap, canvasFallback, worker };
}

(window as unknown as { __frameApi: unknown }).__frameApi = {
  run: (backend: Backend, image: string, frames: number): Promise<PageReport | { error: string }> => run(backend, image, frames).catch((e: unknown) => ({ error: (e as Error)?.stack ?? String(e) })),
};
