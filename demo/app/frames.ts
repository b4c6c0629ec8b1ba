/**
 * Frames through the engine: the camera loop (requestVideoFrameCallback; a frame that arrives
 * while one is in flight is dropped and counted), still images (file input, drop, samples),
 * and drawing the results.
 */
import type { FrameResult } from './engine_types.js';
import { sizeOverlay, clearOverlay, drawBoxes, drawMask, drawRoi } from './overlay.js';
import { renderResult } from './panels.js';
import { ui, state, live, say, publish, renderAll, recordRate, resultTimes, cameraTimes, hooks, type CameraState } from './page.js';

// ------------------------------------------------------------------ frames

export function handleResult(r: FrameResult | null): void {
  if (!r || !state.info || r.modelKey !== state.info.key) return; // a result of a model since replaced
  state.last = r;
  live.recoveries = 0;
  state.status = r.status;
  state.frames++;
  live.fps = recordRate(resultTimes, performance.now());
  sizeOverlay(ui.overlay, r.frame.width, r.frame.height);
  // a GPU-drawn mask is on the mask layer already (the engine drew it in the frame's submit)
  ui.maskLayer.hidden = !r.mask?.gpu;
  if (r.detections) drawBoxes(ui.overlay, r.detections);
  else if (r.mask?.data) drawMask(ui.overlay, r.mask, r.roi);
  else if (r.mask) clearOverlay(ui.overlay);
  else drawRoi(ui.overlay, r.roi);
  if (r.mask?.gpu) readMaskSoon(r);
  renderResult(ui.result, ui.resultTitle, r, state.maskRead?.of.modelKey === r.modelKey ? state.maskRead.mask : null);
  say('frame', null);
  renderAll();
}

let maskReadAt = -Infinity;
let maskReading = false;

/** A GPU-drawn mask is read back for the coverage figure at most once a second, never per frame. */
function readMaskSoon(r: FrameResult): void {
  const now = performance.now();
  if (maskReading || now - maskReadAt < 1000) return;
  maskReading = true;
  maskReadAt = now;
  void live.engine
    .readMask()
    .then((m) => {
      if (!m || state.last?.modelKey !== r.modelKey) return;
      state.maskRead = { mask: m, of: r };
      if (state.last) renderResult(ui.result, ui.resultTitle, state.last, m);
    })
    .catch(() => undefined)
    .finally(() => (maskReading = false));
}

export function frameError(e: unknown): void {
  const msg = (e as Error).message;
  if (/device was lost/.test(msg) && live.recoveries < 2) {
    // a lost GPU device (driver reset, a refused zero-copy import...): restart the runtime
    live.recoveries++;
    state.deviceLosses++;
    say('frame', `${msg}. Restarting the runtime (attempt ${live.recoveries})…`, 'warn');
    void hooks.restartBackend().catch((err: unknown) => say('frame', `The runtime could not restart: ${(err as Error).message}`, 'error'));
    return;
  }
  say('frame', `Inference failed: ${msg}`, 'error');
}

export const roiFor = (): 'full' | 'center' => (state.task === 'classify' ? 'center' : 'full');

async function submitCameraFrame(): Promise<void> {
  state.inFlight = true;
  try {
    const v = ui.video;
    const useFrame = state.status?.acceptsVideoFrame && typeof VideoFrame === 'function';
    const source = useFrame ? new VideoFrame(v) : await createImageBitmap(v);
    handleResult(await live.engine.frame({ source, roi: roiFor() }));
  } catch (e) {
    frameError(e);
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    state.inFlight = false;
  }
}

function onCameraFrame(): void {
  if (state.source !== 'camera') return;
  live.cameraFps = recordRate(cameraTimes, performance.now());
  state.cameraFrames++;
  if (state.phase === 'ready') {
    if (state.inFlight) state.dropped++;
    else void submitCameraFrame();
  }
  scheduleCameraFrame();
}

export function scheduleCameraFrame(): void {
  const v = ui.video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
  if (v.requestVideoFrameCallback) v.requestVideoFrameCallback(onCameraFrame);
  else {
    // no requestVideoFrameCallback: poll for a new frame on each animation frame
    const t = v.currentTime;
    const poll = (): void => {
      if (v.currentTime !== t) onCameraFrame();
      else requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  }
}

export async function runStill(): Promise<void> {
  if (!live.still || state.phase !== 'ready') return;
  if (state.inFlight) {
    setTimeout(() => void runStill(), 100);
    return;
  }
  state.inFlight = true;
  try {
    const copy = await createImageBitmap(live.still);
    handleResult(await live.engine.frame({ source: copy, roi: roiFor() }));
  } catch (e) {
    frameError(e);
  } finally {
    state.inFlight = false;
  }
}

// ------------------------------------------------------------------ sources: camera and images

export function setStage(width: number, height: number): void {
  ui.stage.style.aspectRatio = `${width} / ${height}`;
  // the whole frame stays in view: at most 72% of the window's height
  ui.stage.style.maxWidth = `calc(72vh * ${(width / height).toFixed(4)})`;
  ui.stage.classList.remove('empty');
}

export async function startCamera(): Promise<void> {
  state.camera = 'starting';
  publish();
  if (!navigator.mediaDevices?.getUserMedia) {
    cameraFailed('unavailable', `This browser gives the page no camera access (navigator.mediaDevices is missing${isSecureContext ? '' : ': the page is not a secure context — open it via http://127.0.0.1 or https'}).`);
    return;
  }
  try {
    live.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  } catch (e) {
    const err = e as DOMException;
    if (err.name === 'NotAllowedError' || err.name === 'SecurityError') cameraFailed('denied', `Camera permission was denied (${err.name}: ${err.message}).`);
    else if (err.name === 'NotFoundError' || err.name === 'OverconstrainedError') cameraFailed('unavailable', `No camera was found (${err.name}).`);
    else if (err.name === 'NotReadableError') cameraFailed('error', `The camera is busy or failed to start (${err.name}: ${err.message}).`);
    else cameraFailed('error', `The camera could not be opened (${err.name}: ${err.message}).`);
    return;
  }
  live.still?.close();
  live.still = null;
  ui.still.hidden = true;
  ui.video.hidden = false;
  ui.video.srcObject = live.stream;
  try {
    await ui.video.play();
  } catch (e) {
    cameraFailed('error', `The camera stream could not be played (${(e as Error).message}).`);
    return;
  }
  setStage(ui.video.videoWidth || 640, ui.video.videoHeight || 480);
  state.camera = 'on';
  state.cameraError = '';
  state.source = 'camera';
  say('camera', null);
  ui.cameraBtn.textContent = 'stop camera';
  scheduleCameraFrame();
  renderAll();
}

export function stopCamera(): void {
  live.stream?.getTracks().forEach((t) => t.stop());
  live.stream = null;
  ui.video.srcObject = null;
  if (state.camera === 'on') state.camera = 'off';
  if (state.source === 'camera') state.source = 'none';
  ui.cameraBtn.textContent = 'use camera';
}

export function cameraFailed(kind: CameraState, why: string): void {
  state.camera = kind;
  state.cameraError = why;
  if (state.source === 'camera') state.source = 'none';
  say('camera', `${why}\nYou can still use the models: drop an image on the stage, choose one with "open image…"${ui.samples.hidden ? '' : ', or try a sample below'}.`, 'warn');
  ui.imageFile.parentElement!.style.borderColor = 'var(--warn)';
  ui.stage.classList.add('empty');
  renderAll();
}

export async function setImage(blob: Blob, name: string): Promise<void> {
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(blob);
  } catch (e) {
    say('frame', `${name}: not an image this browser can decode (${(e as Error).message}).`, 'error');
    return;
  }
  stopCamera();
  live.still?.close();
  live.still = bmp;
  live.stillName = name;
  state.source = 'image';
  ui.video.hidden = true;
  ui.still.hidden = false;
  ui.still.width = bmp.width;
  ui.still.height = bmp.height;
  ui.still.getContext('2d')!.drawImage(bmp, 0, 0);
  clearOverlay(ui.overlay);
  setStage(bmp.width, bmp.height);
  renderAll();
  await runStill();
}

export async function showSamples(): Promise<void> {
  try {
    const r = await fetch('/images/index.json');
    if (!r.ok) return;
    const names = (await r.json()) as string[];
    if (!names.length) return;
    for (const n of names) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = n.replace(/\.\w+$/, '');
      b.onclick = async () => {
        const img = await fetch(`/images/${n}`);
        if (img.ok) await setImage(await img.blob(), n);
      };
      ui.samples.append(b);
    }
    ui.samples.hidden = false;
  } catch {
    /* no samples on this server */
  }
}

