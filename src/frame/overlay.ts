/**
 * A segmentation mask drawn on the GPU (createMaskOverlay): the model's mask output, left on
 * the GPU by `runFrame(source, { mask: 'gpu', overlay })`, is tinted onto a canvas
 * (GPUCanvasContext) or a texture by one render pass recorded in the frame's own submit.
 * Nothing is read back. The target covers the whole frame; the mask lands on the frame
 * region the model saw (FrameOptions.roi), sampled nearest at pixel centres, as decodeOutputs
 * resizes masks on the CPU. Output colours are premultiplied by their alpha (a canvas
 * configured with alphaMode 'premultiplied' composites them over the page).
 */
import type { Plan } from '../graph/plan.js';
import type { ModelTask } from '../model/source.js';
import type { FrameRegion } from './types.js';

/** What the overlay needs from a model (a Model loaded on the webgpu backend has all of it). */
export interface MaskOverlayModel {
  readonly device: GPUDevice | null;
  readonly plan: Plan;
  readonly task?: ModelTask;
  readonly head?: unknown;
}

export type MaskValues = 'probability' | 'logits' | 'classes';

export interface MaskOverlayOptions {
  /** the target's texture format (a canvas: the format it was configured with); default the preferred canvas format, else 'rgba8unorm' */
  format?: GPUTextureFormat;
  /** which output holds the mask; default the model's mask (LR-ASPP's class map, else output 0) */
  output?: number;
  /** the channel of that output; default the last (as decodeOutputs reads sigmoid masks) */
  channel?: number;
  /**
   * how the values read: 'probability' (0..1, alpha = value x opacity), 'logits' (sigmoid first),
   * 'classes' (a class id: class 0 is clear, others get their palette colour at `opacity`).
   * Default: 'classes' for LR-ASPP, else 'probability'.
   */
  values?: MaskValues;
  /** tint of probability masks, RGB 0..255 (default [79, 179, 255]) */
  color?: readonly [number, number, number];
  /** 0..1 (default 0.6) */
  opacity?: number;
  /** class colours for 'classes' (RGB 0..255, indexed by class id modulo its length; at most 32) */
  palette?: readonly (readonly [number, number, number])[];
  /** true (default): the pass clears the target to transparent first; false: draws over what is there */
  clear?: boolean;
}

/** The default class palette (VOC-like; class 0 is never drawn). */
export const MASK_PALETTE: readonly (readonly [number, number, number])[] = [
  [0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240],
  [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255], [170, 110, 40], [255, 250, 200], [79, 179, 255],
  [128, 0, 0], [170, 255, 195], [128, 128, 0], [255, 215, 180], [0, 0, 128],
];

const SHADER = /* wgsl */ `
struct P {
  size: vec2f,
  frame: vec2f,
  roiPos: vec2f,
  roiSize: vec2f,
  mask: vec2u,
  stride: u32,
  channel: u32,
  mode: u32,
  paletteLen: u32,
  opacity: f32,
  pad: f32,
  color: vec4f,
  palette: array<vec4f, 32>,
}
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> m: array<f32>;

@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  let xy = vec2f(f32((i << 1u) & 2u), f32(i & 2u));
  return vec4f(xy * 2.0 - 1.0, 0.0, 1.0);
}

@fragment fn fs(@builtin(position) pos: vec4f) -> @location(0) vec4f {
  // pos.xy is the target pixel's centre; the target spans the whole frame
  let f = pos.xy * p.frame / p.size;
  let u = (f - p.roiPos) / p.roiSize;
  if (u.x < 0.0 || u.y < 0.0 || u.x >= 1.0 || u.y >= 1.0) { return vec4f(0.0); }
  let mx = min(u32(u.x * f32(p.mask.x)), p.mask.x - 1u);
  let my = min(u32(u.y * f32(p.mask.y)), p.mask.y - 1u);
  let v = m[(my * p.mask.x + mx) * p.stride + p.channel];
  if (p.mode == 2u) {
    let id = u32(max(round(v), 0.0));
    if (id == 0u) { return vec4f(0.0); }
    let c = p.palette[id % p.paletteLen].rgb;
    return vec4f(c * p.opacity, p.opacity);
  }
  var q = v;
  if (p.mode == 1u) { q = 1.0 / (1.0 + exp(-v)); }
  let a = clamp(q, 0.0, 1.0) * p.opacity;
  return vec4f(p.color.rgb * a, a);
}
`;

const UNIFORM_BYTES = 16 * 4 + 16 + 32 * 16;

export type MaskTarget = GPUCanvasContext | GPUTexture | (() => GPUTexture);

const isContext = (t: MaskTarget): t is GPUCanvasContext => typeof (t as GPUCanvasContext).getCurrentTexture === 'function';

/**
 * Draws a model's mask output into `target` as the FrameOptions.overlay hook of runFrame:
 *
 *   const overlay = createMaskOverlay(model, canvas.getContext('webgpu'), { format });
 *   await model.runFrame(video, { mask: 'gpu', overlay });
 */
export class MaskOverlay {
  readonly output: number;
  readonly channel: number;
  readonly values: MaskValues;
  readonly format: GPUTextureFormat;
  private readonly device: GPUDevice;
  private readonly pipeline: GPURenderPipeline;
  private readonly uniform: GPUBuffer;
  private readonly data = new ArrayBuffer(UNIFORM_BYTES);
  private bound: { buffer: GPUBuffer; group: GPUBindGroup } | null = null;
  private readonly shape: { h: number; w: number; stride: number };
  private readonly clear: boolean;
  private disposed = false;

  constructor(
    model: MaskOverlayModel,
    public target: MaskTarget,
    opts: MaskOverlayOptions = {},
  ) {
    const device = model.device;
    if (!device) throw new Error(`model '${model.plan.name}': the mask overlay draws with WebGPU; this model is not on the webgpu backend`);
    this.device = device;
    const lraspp = (model.head as { kind?: string; maskOutput?: number } | undefined)?.kind === 'lraspp' ? (model.head as { maskOutput: number }) : null;
    this.output = opts.output ?? lraspp?.maskOutput ?? 0;
    const t = model.plan.outputs[this.output];
    if (!t) throw new RangeError(`mask overlay: model '${model.plan.name}' has ${model.plan.outputs.length} outputs, not an output ${this.output}`);
    this.channel = opts.channel ?? t.c - 1;
    if (!Number.isInteger(this.channel) || this.channel < 0 || this.channel >= t.c) throw new RangeError(`mask overlay: channel ${this.channel} is not one of output ${this.output}'s ${t.c} channels`);
    this.values = opts.values ?? (lraspp ? 'classes' : 'probability');
    if (!['probability', 'logits', 'classes'].includes(this.values)) throw new RangeError(`mask overlay: values '${String(this.values)}' (expected 'probability', 'logits' or 'classes')`);
    const opacity = opts.opacity ?? 0.6;
    if (!(opacity >= 0 && opacity <= 1)) throw new RangeError(`mask overlay: opacity ${opacity} is not within 0..1`);
    const palette = opts.palette ?? MASK_PALETTE;
    if (!palette.length || palette.length > 32) throw new RangeError(`mask overlay: the palette has ${palette.length} colours (1 to 32)`);
    this.format = opts.format ?? (typeof navigator === 'object' && navigator.gpu?.getPreferredCanvasFormat ? navigator.gpu.getPreferredCanvasFormat() : 'rgba8unorm');
    this.clear = opts.clear ?? true;
    this.shape = { h: t.h, w: t.w, stride: t.c4 * 4 };
    const module = device.createShaderModule({ label: 'mask-overlay', code: SHADER });
    this.pipeline = device.createRenderPipeline({
      label: 'mask-overlay',
      layout: 'auto',
      vertex: { module, entryPoint: 'vs' },
      fragment: {
        module,
        entryPoint: 'fs',
        targets: [{ format: this.format, blend: this.clear ? undefined : { color: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha' }, alpha: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha' } } }],
      },
      primitive: { topology: 'triangle-list' },
    });
    this.uniform = device.createBuffer({ label: 'mask-overlay:params', size: UNIFORM_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const u = new Uint32Array(this.data);
    const f = new Float32Array(this.data);
    u[8] = t.w;
    u[9] = t.h;
    u[10] = this.shape.stride;
    u[11] = this.channel;
    u[12] = this.values === 'probability' ? 0 : this.values === 'logits' ? 1 : 2;
    u[13] = palette.length;
    f[14] = opacity;
    const color = opts.color ?? [79, 179, 255];
    for (let k = 0; k < 3; k++) f[16 + k] = color[k] / 255;
    f[19] = 1;
    palette.forEach((c, i) => {
      for (let k = 0; k < 3; k++) f[20 + i * 4 + k] = c[k] / 255;
      f[20 + i * 4 + 3] = 1;
    });
  }

  /** GPU buffers this overlay holds (leak accounting) */
  get resourceCount(): number {
    return this.disposed ? 0 : 1;
  }

  /** The FrameOptions.overlay hook: records the tint pass after the network, in the frame's submit. */
  encode(encoder: GPUCommandEncoder, outputs: GPUBuffer[], roi: FrameRegion, frame: { width: number; height: number }): void {
    if (this.disposed) throw new Error('mask overlay: used after dispose()');
    const target = isContext(this.target) ? this.target.getCurrentTexture() : typeof this.target === 'function' ? this.target() : this.target;
    const buffer = outputs[this.output];
    if (!buffer) throw new RangeError(`mask overlay: the run has no output ${this.output}`);
    if (this.bound?.buffer !== buffer) {
      const group = this.device.createBindGroup({
        label: 'mask-overlay',
        layout: this.pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: this.uniform } },
          { binding: 1, resource: { buffer, size: this.shape.h * this.shape.w * this.shape.stride * 4 } },
        ],
      });
      this.bound = { buffer, group };
    }
    const f = new Float32Array(this.data);
    f[0] = target.width;
    f[1] = target.height;
    f[2] = frame.width;
    f[3] = frame.height;
    f[4] = roi.x;
    f[5] = roi.y;
    f[6] = roi.width;
    f[7] = roi.height;
    this.device.queue.writeBuffer(this.uniform, 0, this.data);
    const pass = encoder.beginRenderPass({
      label: 'mask-overlay',
      colorAttachments: [{ view: target.createView(), loadOp: this.clear ? 'clear' : 'load', clearValue: { r: 0, g: 0, b: 0, a: 0 }, storeOp: 'store' }],
    });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bound.group);
    pass.draw(3);
    pass.end();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.uniform.destroy();
    this.bound = null;
  }
}

/** A MaskOverlay for `model` drawing into `target` (see MaskOverlay). */
export const createMaskOverlay = (model: MaskOverlayModel, target: MaskTarget, opts?: MaskOverlayOptions): MaskOverlay => new MaskOverlay(model, target, opts);
