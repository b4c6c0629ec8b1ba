/**
 * Web Worker side of test/e2e/frame_api_browser.test.ts: model.runFrame on an OffscreenCanvas
 * and model.stream over a ReadableStream of VideoFrames (a fake camera: one frame every
 * 30 ms, drawn from the photo on an OffscreenCanvas), reporting the results and the stats.
 */
import { createRuntime, importTflite, type Backend } from '../../src/index.js';
import { argmax, frameCase, type WorkerReport } from './frame_api_shared.js';

interface Job {
  backend: Backend;
  bitmap: ImageBitmap;
  frames: number;
  modelUrl: string;
}

const post = (r: WorkerReport): void => (self as unknown as Worker).postMessage(r);

self.onmessage = async (e: MessageEvent<Job>) => {
  try {
    const { backend, bitmap, frames, modelUrl } = e.data;
    const rt = await createRuntime({ backend });
    const bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
    const model = await rt.load(importTflite(bytes, modelUrl.replace(/^.*\//, '')));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const ref = await model.run(ctx.getImageData(0, 0, canvas.width, canvas.height));
    const offset = model.task?.kind === 'classification' ? model.task.labelOffset : 0;
    const single = frameCase(await model.runFrame(canvas), ref);
    let sent = 0;
    let closed = 0;
    const readable = new ReadableStream<VideoFrame>(
      {
        async pull(c) {
          if (sent >= frames) return c.close();
          await new Promise((r) => setTimeout(r, 30));
          const f = new VideoFrame(canvas, { timestamp: sent++ * 33_333 });
          const close = f.close.bind(f);
          f.close = () => {
            closed++;
            close();
          };
          c.enqueue(f);
        },
      },
      { highWaterMark: 0 },
    );
    const streamed: number[] = [];
    const s = model.stream(readable, (r) => streamed.push(r.result?.kind === 'classification' ? r.result.top5[0].index : -1));
    await s.done;
    post({ backend: rt.backend, ref: argmax(ref) - offset, canvas: single, streamed, stats: { ...s.stats }, closed });
    model.dispose();
    rt.dispose();
  } catch (err) {
    post({ error: (err as Error)?.stack ?? String(err) });
  }
};
