/**
 * Browser side of the mask overlay check in test/e2e/frame_api_browser.test.ts: the selfie
 * segmentation model on WebGPU, runFrame(bitmap, { mask: 'gpu', overlay }) drawing the tinted
 * mask into an rgba8unorm texture in the frame's submit, read back and compared with the CPU
 * mask of runFrame(bitmap) (decodeOutputs' binary mask: score > 0.5, nearest at pixel centres);
 * and (runCanvas) the same onto a WebGPU canvas, which the test reads with a screenshot.
 */
import { createRuntime, createMaskOverlay, importTflite } from '../../src/index.js';

export interface OverlayReport {
  error?: string;
  framePath?: string;
  /** runFrame with mask 'gpu' read nothing back */
  outputsLeftOnGpu?: boolean;
  /** the fraction of texture pixels with alpha above half the opacity (score > 0.5) */
  gpuForeground?: number;
  /** the CPU mask's foreground fraction (decodeOutputs) */
  cpuForeground?: number;
  /** pixels where the two masks disagree */
  disagree?: number;
}

/** The model on WebGPU, the photo as an ImageBitmap, and the CPU mask of runFrame(bitmap) */
async function setup(image: string, modelUrl: string) {
  const rt = await createRuntime({ backend: 'webgpu' });
  const model = await rt.load(importTflite(new Uint8Array(await (await fetch(modelUrl)).arrayBuffer()), modelUrl.replace(/^.*\//, '')));
  const bitmap = await createImageBitmap(await (await fetch(`/images/${image}`)).blob());
  const cpu = await model.runFrame(bitmap);
  if (cpu.result?.kind !== 'segmentation') throw new Error(`not a segmentation result: ${cpu.result?.kind}`);
  return { rt, model, device: model.device!, bitmap, mask: cpu.result.mask };
}

async function run(image: string, modelUrl: string): Promise<OverlayReport> {
  const { rt, model, device, bitmap, mask: m } = await setup(image, modelUrl);
  const { width, height } = bitmap;
  const tex = device.createTexture({ size: [width, height], format: 'rgba8unorm', usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC });
  const overlay = createMaskOverlay(model, tex, { format: 'rgba8unorm', opacity: 0.6 });
  const r = await model.runFrame(bitmap, { mask: 'gpu', overlay });
  const bpr = Math.ceil((width * 4) / 256) * 256;
  const buf = device.createBuffer({ size: bpr * height, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const e = device.createCommandEncoder();
  e.copyTextureToBuffer({ texture: tex }, { buffer: buf, bytesPerRow: bpr }, [width, height]);
  device.queue.submit([e.finish()]);
  await buf.mapAsync(GPUMapMode.READ);
  const px = new Uint8Array(buf.getMappedRange());
  let fg = 0;
  let disagree = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const on = px[y * bpr + x * 4 + 3] > 0.5 * 0.6 * 255 ? 1 : 0;
      fg += on;
      if (on !== m.mask[y * width + x]) disagree++;
    }
  }
  buf.unmap();
  overlay.dispose();
  model.dispose();
  rt.dispose();
  return { framePath: r.framePath, outputsLeftOnGpu: r.outputs.length === 0 && !!r.gpuOutputs, gpuForeground: fg / (width * height), cpuForeground: m.foregroundFraction, disagree };
}

export interface CanvasOverlayReport {
  error?: string;
  framePath?: string;
  width?: number;
  height?: number;
  /** the CPU mask (decodeOutputs), a '0' / '1' per pixel, row-major */
  cpuMask?: string;
  deviceLost?: string;
}

/**
 * The same overlay with a WebGPU canvas as its target, as the README's example does: a canvas
 * the photo's size at the page's top-left corner over a white page, alphaMode premultiplied;
 * the test reads what chromium composited with a screenshot.
 */
async function runCanvas(image: string, modelUrl: string, color: [number, number, number], opacity: number): Promise<CanvasOverlayReport> {
  const { model, device, bitmap, mask: m } = await setup(image, modelUrl);
  let deviceLost: string | undefined;
  void device.lost.then((i) => (deviceLost = i.message));
  const { width, height } = bitmap;
  document.body.replaceChildren(); // a blank white page under the canvas
  document.body.style.margin = '0';
  document.body.style.background = '#fff';
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.style.cssText = `position:fixed;left:0;top:0;width:${width}px;height:${height}px`;
  canvas.id = 'overlay-canvas';
  document.body.appendChild(canvas);
  const ctx = canvas.getContext('webgpu')!;
  const format = navigator.gpu.getPreferredCanvasFormat();
  ctx.configure({ device, format, alphaMode: 'premultiplied' });
  const overlay = createMaskOverlay(model, ctx, { format, color, opacity });
  const r = await model.runFrame(bitmap, { mask: 'gpu', overlay });
  await device.queue.onSubmittedWorkDone();
  await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
  let cpuMask = '';
  for (let i = 0; i < width * height; i++) cpuMask += m.mask[i] ? '1' : '0';
  return { framePath: r.framePath, width, height, cpuMask, deviceLost };
}

(window as unknown as { __overlay: unknown }).__overlay = {
  run: (image: string, modelUrl: string): Promise<OverlayReport> => run(image, modelUrl).catch((e: unknown) => ({ error: (e as Error)?.stack ?? String(e) })),
  runCanvas: (image: string, modelUrl: string, color: [number, number, number], opacity: number): Promise<CanvasOverlayReport> =>
    runCanvas(image, modelUrl, color, opacity).catch((e: unknown) => ({ error: (e as Error)?.stack ?? String(e) })),
};
