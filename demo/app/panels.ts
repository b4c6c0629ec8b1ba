/** The result panel (top-5 bars, detection list, mask coverage) and the HUD table. */
import type { FrameResult, EngineStatus, ModelInfo } from './engine_types.js';
import { classColor } from './overlay.js';
import type { MaskResult } from './decode.js';

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** `maskRead`: a GPU-drawn mask read back (r.mask has no pixels then) */
export function renderResult(el: HTMLElement, title: HTMLElement, r: FrameResult, maskRead?: MaskResult | null): void {
  if (r.top5) {
    title.textContent = r.top5.every((c) => /^class \d+$/.test(c.label)) ? `top ${r.top5.length} classes` : 'top-5 (ImageNet)';
    el.innerHTML = r.top5
      .map(
        (c, i) =>
          `<div class="bar-row${i === 0 ? ' top' : ''}" data-label="${esc(c.label)}"><div class="name"><span>${esc(c.label)}</span><span>${(c.score * 100).toFixed(1)}%</span></div>` +
          `<div class="bar"><div style="width:${Math.max(0.5, c.score * 100).toFixed(1)}%"></div></div></div>`,
      )
      .join('');
  } else if (r.detections) {
    title.textContent = `detections (${r.detections.length})`;
    el.innerHTML = r.detections.length
      ? `<ul class="dets">${r.detections
          .slice(0, 12)
          .map((d) => `<li><span>${esc(d.label)}</span><span class="muted">${(d.score * 100).toFixed(0)}% · ${Math.round(d.box[2] - d.box[0])}×${Math.round(d.box[3] - d.box[1])}</span></li>`)
          .join('')}</ul>`
      : '<p class="muted">nothing above 30%</p>';
  } else if (r.mask) {
    const m = r.mask.data ? r.mask : maskRead;
    title.textContent = 'segmentation';
    const where = r.mask.gpu ? ' <span class="muted">(drawn on the GPU in the frame\'s submit)</span>' : '';
    if (!m?.data) {
      el.innerHTML = `<p>mask ${r.mask.width}×${r.mask.height} drawn on the GPU; reading its coverage…</p>`;
    } else if (m.kind === 'probability') {
      let s = 0;
      for (const v of m.data) s += v;
      el.innerHTML = `<p>foreground covers <b>${((100 * s) / (255 * m.data.length)).toFixed(1)}%</b> of the ${r.roi.width}×${r.roi.height} region (mask ${m.width}×${m.height}).${where}</p>`;
    } else {
      const data = m.data;
      const counts = new Map<number, number>();
      for (const v of data) counts.set(v, (counts.get(v) ?? 0) + 1);
      const rows = [...counts.entries()]
        .filter(([k]) => k !== 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([k, n]) => `<li><span><span style="color:${classColor(k)}">■</span> ${esc(m.labels?.[k] ?? `class ${k}`)}</span><span class="muted">${((100 * n) / data.length).toFixed(1)}%</span></li>`);
      el.innerHTML = rows.length ? `<ul class="dets">${rows.join('')}</ul>` : '<p class="muted">background only</p>';
    }
  }
}

export interface HudData {
  fps: number;
  cameraFps: number;
  last: FrameResult | null;
  status: EngineStatus | null;
  info: ModelInfo | null;
  dropped: number;
  cameraFrames: number;
  deviceLosses: number;
  frames: number;
  threadNote: string;
  source: string;
}

function dispatches(d: HudData): string {
  const n = d.last?.dispatches ?? d.info?.dispatches;
  if (n === undefined) return '—';
  if (d.info && d.info.backend !== 'webgpu') return `${n} plan steps per frame (CPU kernels; no GPU dispatches)`;
  const pre = d.last && d.info && d.last.dispatches > d.info.dispatches ? ` (${d.info.dispatches} network + ${d.last.dispatches - d.info.dispatches} preprocess), 1 submit` : ' (network)';
  return `${n} per frame${pre}`;
}

export function renderHud(el: HTMLTableElement, d: HudData): void {
  const t = d.last?.timings;
  const s = d.status;
  const rows: [string, string][] = [
    ['fps', `${d.fps > 0 ? `${d.fps.toFixed(1)} inferences/s` : d.source.startsWith('image') && d.frames ? 'still image (runs once per change)' : '—'}${d.cameraFps ? ` · camera ${d.cameraFps.toFixed(0)} fps` : ''}`],
    [
      'latency',
      t
        ? `${ms(t.totalMs)} ms = preprocess ${ms(t.preMs)} + network ${ms(t.netMs)}${t.gpuTimed ? ' (GPU timestamps)' : ''} + read-back ${ms(t.readMs)} + post ${ms(t.postMs)}`
        : '—',
    ],
    ['dispatches', dispatches(d)],
    ['dropped', `${d.dropped} of ${d.cameraFrames} camera frames (a frame in flight drops the next)`],
    ['backend', s?.backend ? `${s.backend} — ${esc(s.reason)}` : '—'],
    ['adapter', s?.adapter ? esc(s.adapter) : s?.backend && s.backend !== 'webgpu' ? 'none (CPU path)' : '—'],
    ['thread', d.threadNote],
    ['frame path', s ? `${d.last?.path ?? s.framePath}${s.pathNotes.length ? ` <span class="muted">(${s.pathNotes.map(esc).join('; ')})</span>` : ''}` : '—'],
    ['source', d.source],
    ['model', d.info ? `${esc(d.info.name)} · ${d.info.input.w}×${d.info.input.h} · ${(d.info.params / 1e6).toFixed(2)} M params · loaded in ${ms(d.info.loadMs)} ms` : '—'],
    ['GPU buffers', s ? `${s.liveGpuBuffers} live (model ${s.modelGpuBuffers})` : '—'],
    ['device losses', d.deviceLosses ? `${d.deviceLosses} (the runtime was restarted each time)` : 'none'],
  ];
  el.innerHTML = rows.map(([k, v]) => `<tr data-k="${k}"><th>${k}</th><td>${v}</td></tr>`).join('');
}
