/**
 * The live camera demo: camera (or a dropped image) -> the chosen task's model -> overlay,
 * with a HUD. Query parameters preset the controls: task, model, backend, resolution,
 * worker=0 (inference on the page thread), camera=0 (do not ask for the camera),
 * image=URL (start with a still image). `window.__demo` holds the page state for tests.
 */
import { CATALOGUE, DEFAULT_MODEL, TASKS, BACKENDS, entry, type BackendPick, type TaskKind } from './catalogue.js';
import { createEngine } from './engine_client.js';
import type { EngineStatus } from './engine_types.js';
import type { ModelSpec } from './sources.js';
import { clearOverlay } from './overlay.js';
import { ui, state, live, say, publish, renderAll, hooks } from './page.js';
import { runStill, startCamera, stopCamera, setImage, showSamples } from './frames.js';

// ------------------------------------------------------------------ controls

function fillModels(): void {
  ui.model.innerHTML = '';
  for (const e of CATALOGUE.filter((c) => c.task === state.task)) ui.model.add(new Option(e.label + (e.note ? ' — untrained' : ''), e.id));
  if (state.customSpec && state.customName) ui.model.add(new Option(`your model: ${state.customName}`, 'custom'));
  ui.model.value = state.modelId;
}

function fillResolutions(): void {
  const e = entry(state.modelId);
  ui.resolution.innerHTML = '';
  if (!e?.resolutions) {
    const fixed = state.info && state.info.key.includes(state.modelId) ? `${state.info.input.w}×${state.info.input.h}` : 'fixed';
    ui.resolution.add(new Option(`${fixed} (set by the file)`, '0'));
    ui.resolution.disabled = true;
    state.resolution = 0;
    return;
  }
  ui.resolution.disabled = false;
  for (const r of e.resolutions) ui.resolution.add(new Option(`${r}×${r}`, String(r)));
  if (!e.resolutions.includes(state.resolution)) state.resolution = e.defaultResolution ?? e.resolutions[0];
  ui.resolution.value = String(state.resolution);
}

function currentSpec(): ModelSpec {
  if (state.modelId === 'custom' && state.customSpec) return state.customSpec;
  return { kind: 'builtin', id: state.modelId, ...(state.resolution ? { resolution: state.resolution } : {}) };
}

// ------------------------------------------------------------------ engine: backend and model

/** one reconfiguration at a time; a newer request supersedes the older's results */
let chain: Promise<unknown> = Promise.resolve();
let generation = 0;
function reconfigure(what: 'backend' | 'model'): Promise<void> {
  const gen = ++generation;
  const r = chain.then(async () => {
    if (gen !== generation) return; // a newer request will do the work
    if (what === 'backend') await applyBackend();
    await loadModel(gen);
  });
  chain = r.catch(() => undefined);
  return r;
}

async function applyBackend(): Promise<void> {
  state.phase = 'loading';
  publish();
  try {
    state.status = await live.engine.setBackend(state.backendPick);
    say('backend', backendNote(state.status), 'info');
  } catch (e) {
    const why = (e as Error).message;
    const asked = state.backendPick;
    const fallback: BackendPick = asked === 'cpu' ? 'cpu' : 'auto';
    if (fallback === asked) throw e;
    state.backendPick = fallback;
    ui.backend.value = fallback;
    state.status = await live.engine.setBackend(fallback);
    say('backend', `The ${asked === 'webgpu' ? 'WebGPU' : asked} backend is unavailable: ${why}\nRunning on the ${state.status.backend === 'webgpu' ? 'GPU' : `CPU path (${state.status.backend})`} instead: ${state.status.reason}.`, 'warn');
  }
  const auto = ui.backend.querySelector<HTMLOptionElement>('option[value="auto"]');
  if (auto) auto.textContent = state.backendPick === 'auto' && state.status?.backend ? `auto (→ ${state.status.backend})` : 'auto';
  publish();
}

function backendNote(s: EngineStatus): string | null {
  if (s.backend === 'webgpu') return null;
  if (/no WebGPU/i.test(s.reason)) return `WebGPU is not available here, so the models run on the CPU path (${s.backend}): ${s.reason}`;
  if (/software fallback/i.test(s.reason)) return `Running on the CPU path (${s.backend}): ${s.reason}. Pick "WebGPU" to run on the GPU anyway.`;
  return null;
}

async function loadModel(gen: number): Promise<void> {
  state.phase = 'loading';
  clearOverlay(ui.overlay);
  ui.result.innerHTML = `<p class="muted">loading ${state.modelId === 'custom' ? state.customName : (entry(state.modelId)?.label ?? '')}…</p>`;
  publish();
  try {
    const info = await live.engine.load(currentSpec(), state.modelId === 'custom' ? undefined : state.task);
    if (gen !== generation) return;
    state.info = info;
    state.last = null;
    state.loads++;
    say('model', info.note ? `Note: ${entry(state.modelId)?.label ?? info.name} is ${info.note}.` : null, 'warn');
    if (state.modelId === 'custom') live.goodCustom = { spec: state.customSpec!, name: state.customName };
    if (info.task !== state.task) {
      state.task = info.task;
      ui.task.value = info.task;
      fillModels();
    }
    fillResolutions();
    state.status = await live.engine.status();
    state.phase = 'ready';
    ui.result.innerHTML = '<p class="muted">waiting for a frame…</p>';
    if (state.source === 'image') void runStill();
  } catch (e) {
    if (gen !== generation) return;
    state.phase = state.info ? 'ready' : 'error';
    const keep = state.info ? ` Still running the previous model (${state.info.name}).` : ' Pick another model, or load your own with "load model…".';
    say('model', `Could not load the model: ${(e as Error).message}.${keep}`, 'error');
    ui.result.innerHTML = '';
    if (state.info) {
      // the controls show the model that actually runs
      state.task = state.info.task;
      ui.task.value = state.task;
      const builtin = /^builtin:([^@]+)@(\d*)$/.exec(state.info.key);
      state.modelId = builtin ? builtin[1] : 'custom';
      state.resolution = builtin ? Number(builtin[2] || 0) : 0;
      state.customSpec = live.goodCustom?.spec ?? null;
      state.customName = live.goodCustom?.name ?? '';
      fillModels();
      fillResolutions();
      if (state.source === 'image') void runStill();
    }
  }
  renderAll();
}

// ------------------------------------------------------------------ wiring and boot

function wire(): void {
  ui.task.onchange = () => {
    state.task = ui.task.value as TaskKind;
    state.modelId = DEFAULT_MODEL[state.task];
    state.resolution = 0;
    fillModels();
    fillResolutions();
    void reconfigure('model');
  };
  ui.model.onchange = () => {
    state.modelId = ui.model.value;
    state.resolution = 0;
    fillResolutions();
    void reconfigure('model');
  };
  ui.resolution.onchange = () => {
    state.resolution = Number(ui.resolution.value);
    void reconfigure('model');
  };
  ui.backend.onchange = () => {
    state.backendPick = ui.backend.value as BackendPick;
    void reconfigure('backend');
  };
  ui.cameraBtn.onclick = () => {
    if (state.source === 'camera') {
      stopCamera();
      renderAll();
    } else void startCamera();
  };
  ui.imageFile.onchange = () => {
    const f = ui.imageFile.files?.[0];
    if (f) void setImage(f, f.name);
  };
  ui.modelFiles.onchange = async () => {
    const files = Array.from(ui.modelFiles.files ?? []);
    if (!files.length) return;
    const spec: ModelSpec = { kind: 'files', files: await Promise.all(files.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() }))) };
    useCustom(spec, files.map((f) => f.name).find((n) => /\.(tflite|onnx|json)$/i.test(n)) ?? files[0].name);
  };
  ui.modelUrlBtn.onclick = () => {
    const url = ui.modelUrl.value.trim();
    if (url) useCustom({ kind: 'url', url }, url.replace(/^.*\//, ''));
  };
  ui.stage.addEventListener('dragover', (e) => {
    e.preventDefault();
    ui.stage.classList.add('dragover');
  });
  ui.stage.addEventListener('dragleave', () => ui.stage.classList.remove('dragover'));
  ui.stage.addEventListener('drop', (e) => {
    e.preventDefault();
    ui.stage.classList.remove('dragover');
    const f = e.dataTransfer?.files?.[0];
    if (f) void setImage(f, f.name);
  });
  window.addEventListener('error', (e) => say('page', `Page error: ${e.message}`, 'error'));
  window.addEventListener('unhandledrejection', (e) => say('page', `Page error: ${(e.reason as Error)?.message ?? String(e.reason)}`, 'error'));
  window.setInterval(renderAll, 1000);
  hooks.restartBackend = () => reconfigure('backend');
}

function useCustom(spec: ModelSpec, name: string): void {
  state.customSpec = spec;
  state.customName = name;
  state.modelId = 'custom';
  fillModels();
  fillResolutions();
  void reconfigure('model');
}

async function boot(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const task = q.get('task') as TaskKind | null;
  state.task = task && TASKS.includes(task) ? task : 'classify';
  ui.task.value = state.task;
  const model = q.get('model');
  state.modelId = model && entry(model)?.task === state.task ? model : DEFAULT_MODEL[state.task];
  const backend = q.get('backend') as BackendPick | null;
  state.backendPick = backend && BACKENDS.includes(backend) ? backend : 'auto';
  ui.backend.value = state.backendPick;
  state.resolution = Number(q.get('resolution') ?? 0);
  fillModels();
  fillResolutions();
  wire();
  renderAll();

  live.engine = await createEngine(q.get('worker') !== '0');
  // the mask layer: segmentation masks on WebGPU are drawn into it by the engine, in the frame's submit
  if (typeof ui.maskLayer.transferControlToOffscreen === 'function' && typeof navigator.gpu === 'object') {
    await live.engine.setMaskCanvas(ui.maskLayer.transferControlToOffscreen()).catch((e: unknown) => say('page', `The GPU mask layer is unavailable (${(e as Error).message}); masks are drawn on the CPU`, 'warn'));
  }
  if (live.engine.thread === 'main' && q.get('worker') !== '0') say('page', live.engine.threadNote, 'warn');
  void showSamples();
  const imageUrl = q.get('image');
  const wantCamera = q.get('camera') !== '0' && !imageUrl;
  // the camera prompt and the model load run side by side
  const cam = wantCamera ? startCamera() : Promise.resolve();
  if (!wantCamera) {
    ui.stage.classList.add('empty');
    state.camera = 'off';
  }
  try {
    await reconfigure('backend');
  } catch (e) {
    state.phase = 'error';
    say('backend', `No backend could start: ${(e as Error).message}`, 'error');
  }
  await cam;
  if (imageUrl) {
    const r = await fetch(imageUrl).catch(() => null);
    if (r?.ok) await setImage(await r.blob(), imageUrl.replace(/^.*\//, ''));
    else say('frame', `Could not fetch the image ${imageUrl}.`, 'error');
  }
}

void boot().catch((e: unknown) => {
  state.phase = 'error';
  say('page', `The demo failed to start: ${(e as Error).message}`, 'error');
});
