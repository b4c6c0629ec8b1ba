/**
 * Results -> rows (repeats merged), the Markdown table, and an SVG bar chart (warm median
 * with p10-p90 whiskers per model and configuration) that the driver screenshots in chromium.
 */
import type { JobResult, Comparison, Stats } from './types.js';
import { stats } from './measure.js';

export interface Row {
  modelId: string;
  configId: string;
  status: 'ok' | 'mismatch' | 'skipped' | 'error' | 'n/a';
  message?: string;
  notes: string[];
  repeats: number;
  loadMs?: number;
  coldMs?: number;
  stats?: Stats;
  /** per-repeat medians (spread between fresh pages) */
  repeatMedians?: number[];
  dispatches?: number;
  gpuMs?: number;
  /** worst comparison over every cold and last output */
  worst?: Comparison;
  top1Agree?: string;
  info: Record<string, string | number | boolean>;
  logs: string[];
}

const med = (xs: number[]): number | undefined => (xs.length ? stats(xs).median : undefined);

export function aggregate(results: JobResult[], models: string[], configs: string[]): Row[] {
  const rows: Row[] = [];
  for (const modelId of models) {
    for (const configId of configs) {
      const rs = results.filter((r) => r.modelId === modelId && r.configId === configId);
      if (rs.length === 0) continue;
      const timed = rs.filter((r) => r.times?.length);
      const comps = rs.flatMap((r) => [r.cold, r.last]).filter((c): c is Comparison => !!c);
      const worst = comps.find((c) => !c.ok) ?? comps.reduce<Comparison | undefined>((w, c) => (!w || c.maxAbsDiff > w.maxAbsDiff ? c : w), undefined);
      const bad = rs.find((r) => r.status === 'error') ?? rs.find((r) => r.status === 'mismatch');
      const status: Row['status'] = bad ? bad.status : rs.every((r) => r.status === 'skipped') ? 'skipped' : 'ok';
      const top1s = comps.filter((c) => c.top1 !== undefined);
      rows.push({
        modelId,
        configId,
        status,
        message: bad?.message ?? rs.find((r) => r.message)?.message,
        notes: [...new Set(rs.flatMap((r) => (r.note ? [r.note] : [])))],
        repeats: rs.length,
        loadMs: med(rs.flatMap((r) => (r.loadMs !== undefined ? [r.loadMs] : []))),
        coldMs: med(rs.flatMap((r) => (r.coldMs !== undefined ? [r.coldMs] : []))),
        stats: timed.length ? stats(timed.flatMap((r) => r.times!)) : undefined,
        repeatMedians: timed.map((r) => r.stats!.median),
        dispatches: rs.find((r) => r.dispatches !== undefined)?.dispatches,
        gpuMs: med(rs.flatMap((r) => (r.gpuMs !== undefined ? [r.gpuMs] : []))),
        worst,
        top1Agree: top1s.length ? `${top1s.filter((c) => c.top1 === c.refTop1).length}/${top1s.length}` : undefined,
        info: Object.assign({}, ...rs.map((r) => r.info)),
        logs: [...new Set(rs.flatMap((r) => r.logs ?? []))],
      });
    }
  }
  return rows;
}

const ms = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function statusCell(r: Row): string {
  switch (r.status) {
    case 'ok':
      return 'ok';
    case 'mismatch':
      return '**MISMATCH**';
    case 'error':
      return '**ERROR**';
    case 'skipped':
      return 'skipped';
    default:
      return r.status;
  }
}

export function markdownTable(rows: Row[], modelLabels: Record<string, string>): string {
  const out: string[] = [];
  out.push('| model | configuration | output vs reference | max abs diff (bound) | top-1 | load ms | first run ms | warm median | p10 | p90 | min | max | runs | dispatches | GPU ms (timestamps) |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const s = r.stats;
    const diff = r.worst ? `${r.worst.maxAbsDiff.toExponential(1)} (${r.worst.bound.toExponential(0)})` : '';
    out.push(
      `| ${modelLabels[r.modelId] ?? r.modelId} | ${r.configId} | ${statusCell(r)} | ${diff} | ${r.top1Agree ?? ''} | ${ms(r.loadMs)} | ${ms(r.coldMs)} | ${s ? `**${ms(s.median)}**` : ''} | ${ms(s?.p10)} | ${ms(s?.p90)} | ${ms(s?.min)} | ${ms(s?.max)} | ${s ? s.n : ''} | ${r.dispatches ?? ''} | ${ms(r.gpuMs)} |`,
    );
  }
  const notes = rows.filter((r) => r.status !== 'ok' && r.message).map((r) => `- ${r.modelId} / ${r.configId} (${r.status}): ${r.message!.replace(/\s+/g, ' ').slice(0, 400)}`);
  if (notes.length) out.push('', 'Rows not timed or not matching, and why:', '', ...notes);
  const remarks = rows.filter((r) => r.notes.length).map((r) => `- ${r.modelId} / ${r.configId}: ${r.notes.join('; ')}`);
  if (remarks.length) out.push('', 'Remarks:', '', ...remarks);
  // quantized .tflite files: which rows ran int8, and every row's distance from our integer program
  const q = rows.filter((r) => r.info.int8Steps !== undefined);
  if (q.length) {
    out.push('', 'Quantized files: max |y - integer program| in output quantization steps (our int8 path = the integer program on wasm; `quantized` says what our rows ran):', '');
    for (const r of q) out.push(`- ${r.modelId} / ${r.configId}: ${r.info.int8Steps} steps${r.info.quantized ? ` (ours: ${r.info.quantized})` : ''}`);
  }
  return out.join('\n');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Horizontal bars per model (log scale), colour per family; grey = not ok. */
export function chartSvg(rows: Row[], modelLabels: Record<string, string>, title: string): string {
  const timed = rows.filter((r) => r.stats);
  const models = [...new Set(timed.map((r) => r.modelId))];
  const barH = 16;
  const gap = 4;
  const left = 190;
  const width = 900;
  const plotW = width - left - 90;
  const all = timed.flatMap((r) => [r.stats!.p10, r.stats!.p90, r.stats!.median]).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.01, Math.min(...all, 1)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, 10))));
  const x = (v: number): number => left + (plotW * (Math.log10(Math.max(v, lo)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const colour = (r: Row): string => (r.status !== 'ok' ? '#aaa' : r.configId.startsWith('ours') ? '#1f77b4' : r.configId.startsWith('tfjs') ? '#ff7f0e' : r.configId.startsWith('litert') ? '#9467bd' : r.configId.startsWith('mediapipe') ? '#d62728' : '#2ca02c');
  const parts: string[] = [];
  let y = 50;
  for (const m of models) {
    parts.push(`<text x="10" y="${y + 12}" font-weight="bold" font-size="13">${esc(modelLabels[m] ?? m)}</text>`);
    y += 20;
    for (const r of timed.filter((t) => t.modelId === m)) {
      const s = r.stats!;
      parts.push(`<text x="${left - 6}" y="${y + 12}" text-anchor="end" font-size="12">${esc(r.configId)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(s.median) - left)}" height="${barH}" fill="${colour(r)}"/>`);
      parts.push(`<line x1="${x(s.p10)}" x2="${x(s.p90)}" y1="${y + barH / 2}" y2="${y + barH / 2}" stroke="#000" stroke-width="1.5"/>`);
      parts.push(`<text x="${x(Math.max(s.median, s.p90)) + 5}" y="${y + 12}" font-size="11">${ms(s.median)} ms${r.status !== 'ok' ? ` (${r.status})` : ''}</text>`);
      y += barH + gap;
    }
    y += 10;
  }
  const ticks: string[] = [];
  for (let v = lo; v <= hi; v *= 10) {
    ticks.push(`<line x1="${x(v)}" x2="${x(v)}" y1="40" y2="${y}" stroke="#ddd"/><text x="${x(v)}" y="${y + 14}" font-size="11" text-anchor="middle">${v} ms</text>`);
  }
  const h = y + 50;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>
<text x="10" y="38" font-size="11" fill="#555">warm latency per run (input in CPU memory to output in CPU memory), median; whisker p10-p90; log scale. blue ours, orange TF.js, green ONNX Runtime, purple LiteRT.js, red MediaPipe, grey not ok</text>
${ticks.join('\n')}
${parts.join('\n')}
<text x="10" y="${h - 12}" font-size="11" fill="#555">${esc(new Date().toISOString())}</text>
</svg>`;
}
