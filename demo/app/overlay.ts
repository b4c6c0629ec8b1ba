/**
 * Drawing results over the frame on a 2D canvas whose pixel size is the frame's (so boxes
 * in frame pixels need no mapping) and whose CSS size matches the video's.
 */
import { MASK_PALETTE } from '../../src/index.js';
import type { BoxResult, MaskResult } from './decode.js';

/** class colours: the library's MASK_PALETTE, so CPU-drawn and GPU-drawn masks look alike */
const PALETTE = MASK_PALETTE;
const BOX_COLORS = ['#4fb3ff', '#7ee08a', '#ffb347', '#ff6b6b', '#c38bff', '#ffe66d'];

/**
 * The overlay canvas is kept at its on-screen size times devicePixelRatio (crisp text at any
 * frame size); drawing functions take frame-pixel coordinates and map them with `k`.
 */
interface View {
  ctx: CanvasRenderingContext2D;
  /** canvas pixels per frame pixel */
  k: number;
  /** canvas pixels per CSS pixel */
  dpr: number;
}

let frameW = 1;
let frameH = 1;

export function sizeOverlay(canvas: HTMLCanvasElement, width: number, height: number): void {
  frameW = width;
  frameH = height;
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round((canvas.clientWidth || width) * dpr));
  const h = Math.max(1, Math.round((canvas.clientHeight || height) * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
}

function view(canvas: HTMLCanvasElement): View {
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  return { ctx, k: canvas.width / frameW, dpr: window.devicePixelRatio || 1 };
}

export function clearOverlay(canvas: HTMLCanvasElement): void {
  view(canvas);
}

export function drawBoxes(canvas: HTMLCanvasElement, dets: readonly BoxResult[]): void {
  const { ctx, k, dpr } = view(canvas);
  ctx.lineWidth = 2 * dpr;
  ctx.font = `${Math.round(13 * dpr)}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  const colorOf = new Map<string, string>();
  for (const d of dets) {
    if (!colorOf.has(d.label)) colorOf.set(d.label, BOX_COLORS[colorOf.size % BOX_COLORS.length]);
    const color = colorOf.get(d.label)!;
    const [x1, y1, x2, y2] = d.box.map((v) => v * k);
    ctx.strokeStyle = color;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const text = `${d.label} ${(d.score * 100).toFixed(0)}%`;
    const tw = ctx.measureText(text).width + 8 * dpr;
    const th = 18 * dpr;
    const ty = y1 - th >= 0 ? y1 - th : y1;
    ctx.fillStyle = color;
    ctx.fillRect(x1 - ctx.lineWidth / 2, ty, tw, th);
    ctx.fillStyle = '#0b0f13';
    ctx.fillText(text, x1 + 4 * dpr, ty + 2.5 * dpr);
  }
}

let scratch: HTMLCanvasElement | null = null;

/** Tints the mask over the frame region `roi` it covers. */
export function drawMask(canvas: HTMLCanvasElement, m: MaskResult, roi: { x: number; y: number; width: number; height: number }): void {
  const { ctx, k } = view(canvas);
  if (!m.data) return; // drawn on the GPU
  scratch ??= document.createElement('canvas');
  scratch.width = m.width;
  scratch.height = m.height;
  const sctx = scratch.getContext('2d')!;
  const img = sctx.createImageData(m.width, m.height);
  for (let i = 0; i < m.data.length; i++) {
    const v = m.data[i];
    if (m.kind === 'probability') {
      img.data[i * 4] = 79;
      img.data[i * 4 + 1] = 179;
      img.data[i * 4 + 2] = 255;
      img.data[i * 4 + 3] = Math.round(v * 0.6);
    } else if (v !== 0) {
      const c = PALETTE[v % PALETTE.length];
      img.data[i * 4] = c[0];
      img.data[i * 4 + 1] = c[1];
      img.data[i * 4 + 2] = c[2];
      img.data[i * 4 + 3] = 150;
    }
  }
  sctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(scratch, roi.x * k, roi.y * k, roi.width * k, roi.height * k);
}

/** Marks the region the classifier sees (the central square) when it is not the whole frame. */
export function drawRoi(canvas: HTMLCanvasElement, roi: { x: number; y: number; width: number; height: number }): void {
  const { ctx, k, dpr } = view(canvas);
  if (roi.width === frameW && roi.height === frameH) return;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.35)';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.clearRect(roi.x * k, roi.y * k, roi.width * k, roi.height * k);
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.7)';
  ctx.lineWidth = 1.5 * dpr;
  ctx.setLineDash([6 * dpr, 4 * dpr]);
  ctx.strokeRect(roi.x * k, roi.y * k, roi.width * k, roi.height * k);
  ctx.setLineDash([]);
}

/** mask colour of a class id, for legends */
export const classColor = (id: number): string => `rgb(${PALETTE[id % PALETTE.length].join(',')})`;

