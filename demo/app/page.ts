/**
 * The demo page's shared state: DOM handles, the state mirrored on window.__demo, messages
 * and the HUD refresh. main.ts wires controls and the engine; frames.ts runs the camera and
 * still images through it.
 */
import type { BackendPick, TaskKind } from './catalogue.js';
import type { EngineApi } from './engine_client.js';
import type { EngineStatus, FrameResult, ModelInfo } from './engine_types.js';
import type { ModelSpec } from './sources.js';
import type { MaskResult } from './decode.js';
import { renderHud } from './panels.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
export const ui = {
  task: $<HTMLSelectElement>('task'),
  model: $<HTMLSelectElement>('model'),
  backend: $<HTMLSelectElement>('backend'),
  resolution: $<HTMLSelectElement>('resolution'),
  cameraBtn: $<HTMLButtonElement>('camera-btn'),
  imageFile: $<HTMLInputElement>('image-file'),
  modelFiles: $<HTMLInputElement>('model-files'),
  modelUrl: $<HTMLInputElement>('model-url'),
  modelUrlBtn: $<HTMLButtonElement>('model-url-btn'),
  message: $<HTMLDivElement>('message'),
  stage: $<HTMLDivElement>('stage'),
  video: $<HTMLVideoElement>('video'),
  still: $<HTMLCanvasElement>('still'),
  /** GPU-drawn masks (its control goes to the engine as an OffscreenCanvas) */
  maskLayer: $<HTMLCanvasElement>('mask-layer'),
  overlay: $<HTMLCanvasElement>('overlay'),
  samples: $<HTMLDivElement>('samples'),
  result: $<HTMLDivElement>('result'),
  resultTitle: $<HTMLHeadingElement>('result-title'),
  hud: $<HTMLTableElement>('hud'),
};

export type CameraState = 'off' | 'starting' | 'on' | 'denied' | 'unavailable' | 'error';
export type MessageSlot = 'camera' | 'backend' | 'model' | 'frame' | 'page';

/** Page state, mirrored on window.__demo for tests and curious users. */
export const state = {
  phase: 'booting' as 'booting' | 'loading' | 'ready' | 'error',
  task: 'classify' as TaskKind,
  modelId: '',
  backendPick: 'auto' as BackendPick,
  resolution: 0,
  customSpec: null as ModelSpec | null,
  customName: '',
  source: 'none' as 'camera' | 'image' | 'none',
  camera: 'off' as CameraState,
  cameraError: '',
  info: null as ModelInfo | null,
  status: null as EngineStatus | null,
  last: null as FrameResult | null,
  /** the last GPU-drawn mask read back (for the coverage figure), with the result it belongs to */
  maskRead: null as { mask: MaskResult; of: FrameResult } | null,
  frames: 0,
  dropped: 0,
  cameraFrames: 0,
  /** GPU device losses seen, and runtime restarts that followed */
  deviceLosses: 0,
  /** completed model loads (tests wait on it) */
  loads: 0,
  inFlight: false,
  messages: {} as Partial<Record<MessageSlot, { text: string; kind: 'error' | 'warn' | 'info' }>>,
};

/** Mutable page-wide values shared by the page's modules. */
export const live = {
  engine: null as unknown as EngineApi,
  stream: null as MediaStream | null,
  still: null as ImageBitmap | null,
  stillName: '',
  /** the last user model that loaded (restored when a later one fails) */
  goodCustom: null as { spec: ModelSpec; name: string } | null,
  fps: 0,
  cameraFps: 0,
  /** automatic runtime restarts after a device loss since the last good start */
  recoveries: 0,
};
export const resultTimes: number[] = [];
export const cameraTimes: number[] = [];

/** set by main.ts: restart the runtime (after a device loss) */
export const hooks = { restartBackend: (): Promise<void> => Promise.resolve() };

// ------------------------------------------------------------------ window.__demo

interface DemoWindow {
  __demo?: Record<string, unknown>;
}
export function publish(): void {
  const s = state;
  (window as unknown as DemoWindow).__demo = {
    phase: s.phase,
    task: s.task,
    modelId: s.modelId,
    model: s.info?.name ?? null,
    backend: s.status?.backend ?? null,
    reason: s.status?.reason ?? '',
    adapter: s.status?.adapter ?? null,
    thread: live.engine?.thread ?? null,
    framePath: s.last?.path ?? s.status?.framePath ?? '',
    pathNotes: s.status?.pathNotes ?? [],
    camera: s.camera,
    cameraError: s.cameraError,
    source: s.source,
    frames: s.frames,
    dropped: s.dropped,
    cameraFrames: s.cameraFrames,
    deviceLosses: s.deviceLosses,
    recoveries: live.recoveries,
    /** destroys the engine's GPU device now (what a driver reset does); resolves to whether there was one */
    loseDevice: (): Promise<boolean> => live.engine.loseDevice(),
    loads: s.loads,
    liveGpuBuffers: s.status?.liveGpuBuffers ?? 0,
    modelGpuBuffers: s.status?.modelGpuBuffers ?? 0,
    top5: s.last?.top5 ?? null,
    detections: s.last?.detections ?? null,
    mask: s.last?.mask ? { width: s.last.mask.width, height: s.last.mask.height, kind: s.last.mask.kind, gpu: !!s.last.mask.gpu } : null,
    frame: s.last?.frame ?? null,
    roi: s.last?.roi ?? null,
    timings: s.last?.timings ?? null,
    dispatches: s.last?.dispatches ?? null,
    resultModel: s.last?.modelKey ?? null,
    messages: Object.values(s.messages).map((m) => m!.text),
    /** mean foreground (0..1) of the last mask over a region in frame-normalized coordinates (a GPU-drawn mask is read back for it) */
    maskCoverage: (x0: number, y0: number, x1: number, y1: number): Promise<number | null> => maskCoverage(x0, y0, x1, y1),
  };
}

async function maskCoverage(x0: number, y0: number, x1: number, y1: number): Promise<number | null> {
  const r = state.last;
  if (!r?.mask) return null;
  const m = r.mask.data ? r.mask : await live.engine.readMask();
  if (!m?.data) return null;
  let sum = 0;
  let n = 0;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      // pixel centre in frame-normalized coordinates
      const fx = (r.roi.x + ((x + 0.5) / m.width) * r.roi.width) / r.frame.width;
      const fy = (r.roi.y + ((y + 0.5) / m.height) * r.roi.height) / r.frame.height;
      if (fx < x0 || fx >= x1 || fy < y0 || fy >= y1) continue;
      sum += m.kind === 'probability' ? m.data![y * m.width + x] / 255 : m.data![y * m.width + x] ? 1 : 0;
      n++;
    }
  }
  return n ? sum / n : null;
}

// ------------------------------------------------------------------ messages

export function say(slot: MessageSlot, text: string | null, kind: 'error' | 'warn' | 'info' = 'error'): void {
  if (text) state.messages[slot] = { text, kind };
  else delete state.messages[slot];
  const all = Object.values(state.messages);
  ui.message.hidden = all.length === 0;
  ui.message.className = all.some((m) => m!.kind === 'error') ? 'error' : all.some((m) => m!.kind === 'warn') ? 'warn' : 'info';
  ui.message.textContent = all.map((m) => m!.text).join('\n');
  publish();
}

// ------------------------------------------------------------------ rates and HUD

/** events per second over the last 5 s (0 when fewer than two events, or none lately) */
export function recordRate(times: number[], t: number | null): number {
  const now = t ?? performance.now();
  if (t !== null) times.push(t);
  while (times.length && now - times[0] > 5000) times.shift();
  return times.length > 1 ? ((times.length - 1) * 1000) / (times[times.length - 1] - times[0]) : 0;
}
export function renderAll(): void {
  live.fps = recordRate(resultTimes, null);
  live.cameraFps = recordRate(cameraTimes, null);
  renderHud(ui.hud, {
    fps: live.fps,
    cameraFps: state.source === 'camera' ? live.cameraFps : 0,
    last: state.last,
    status: state.status,
    info: state.info,
    dropped: state.dropped,
    cameraFrames: state.cameraFrames,
    deviceLosses: state.deviceLosses,
    frames: state.frames,
    threadNote: live.engine?.threadNote ?? '—',
    source: state.source === 'camera' ? `camera ${ui.video.videoWidth}×${ui.video.videoHeight}` : state.source === 'image' ? `image ${live.stillName}` : `none (camera: ${state.camera})`,
  });
  publish();
}

