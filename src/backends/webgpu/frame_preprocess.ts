/**
 * Camera frame -> model input on the GPU (DESIGN.md section 4): one compute dispatch reads
 * the frame as a texture and writes the model's input slot (NHWC, RGB in a vec4 per pixel,
 * the 4th channel 0 = the arena's channel padding), doing the model's Preprocess (region of
 * interest, central crop, bilinear resize with half-pixel centres, colour order, mean/std)
 * exactly like the CPU oracle `preprocessImage`, which it must match to float rounding.
 *
 * Two sources, tried in this order by the caller:
 * - 'external': `importExternalTexture` of a VideoFrame (zero-copy), read as texture_external;
 * - 'bitmap': an ImageBitmap copied with `copyExternalImageToTexture` into an rgba8unorm
 *   texture owned here (re-created only when the frame size changes), read as texture_2d.
 * The WGSL lives here rather than in shaders/ because KernelSpecs describe buffer bindings
 * only; the two variants differ only in the texture type.
 */
import type { Preprocess } from '../../model/preprocess.js';

/** Region of the frame, in frame pixels, that plays the role of the whole image. */
export interface FrameRoi {
  x: number;
  y: number;
  width: number;
  height: number;
}

const wgsl = (textureType: string): string => /* wgsl */ `
// frame_preprocess: texture (${textureType}) -> NHWC input, one thread per output pixel.
// value = pixel (0..255) * scale + bias per channel, in the model's colour order.
struct Params {
  x0: f32, y0: f32, crop_w: f32, crop_h: f32,   // crop window in frame pixels
  in_w: u32, in_h: u32, out_w: u32, out_h: u32,  // frame size, model input size
  scale: vec4<f32>,
  bias: vec4<f32>,
  lo: vec2<f32>, hi: vec2<f32>,                  // first / last pixel of the region of interest
  swap_rb: u32, _p0: u32, _p1: u32, _p2: u32,
}
@group(0) @binding(0) var frame: ${textureType};
@group(0) @binding(1) var<storage, read_write> output: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> p: Params;

fn texel(x: u32, y: u32) -> vec3<f32> {
  return textureLoad(frame, vec2<u32>(x, y)${textureType === 'texture_external' ? '' : ', 0'}).rgb;
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= p.out_w || id.y >= p.out_h) { return; }
  // samples clamp at the region's edges, as if the region were the whole image
  let sx = clamp(p.x0 + (f32(id.x) + 0.5) * (p.crop_w / f32(p.out_w)) - 0.5, p.lo.x, p.hi.x);
  let sy = clamp(p.y0 + (f32(id.y) + 0.5) * (p.crop_h / f32(p.out_h)) - 0.5, p.lo.y, p.hi.y);
  let xa = u32(floor(sx));
  let ya = u32(floor(sy));
  let xb = min(xa + 1u, u32(p.hi.x));
  let yb = min(ya + 1u, u32(p.hi.y));
  let fx = sx - f32(xa);
  let fy = sy - f32(ya);
  // 8-bit texels as the CPU path sees them (unorm -> 0..255 integers) for identical rounding
  let v00 = round(texel(xa, ya) * 255.0);
  let v01 = round(texel(xb, ya) * 255.0);
  let v10 = round(texel(xa, yb) * 255.0);
  let v11 = round(texel(xb, yb) * 255.0);
  var rgb = (v00 * (1.0 - fx) + v01 * fx) * (1.0 - fy) + (v10 * (1.0 - fx) + v11 * fx) * fy;
  if (p.swap_rb == 1u) { rgb = rgb.bgr; }
  output[id.y * p.out_w + id.x] = vec4<f32>(rgb * p.scale.xyz + p.bias.xyz, 0.0);
}
`;

export type FrameSourceKind = 'external' | 'bitmap';

/** A frame's size in pixels (a VideoFrame's display size, a video's intrinsic size, else width x height). */
export function sourceSize(s: GPUCopyExternalImageSource | VideoFrame): { width: number; height: number } {
  if (typeof VideoFrame === 'function' && s instanceof VideoFrame) return { width: s.displayWidth, height: s.displayHeight };
  if (typeof HTMLVideoElement === 'function' && s instanceof HTMLVideoElement) return { width: s.videoWidth, height: s.videoHeight };
  return { width: (s as { width: number }).width, height: (s as { height: number }).height };
}

const PARAMS_BYTES = 96;

/** Records the preprocess pass, writing the model input buffer (see GpuExecutor.runWith). */
export type FrameWriter = (encoder: GPUCommandEncoder, input: GPUBuffer) => void;

/** GPU preprocessing for one device; `dispose()` frees everything it made. */
export class FramePreprocessor {
  private pipelines = new Map<FrameSourceKind, GPUComputePipeline>();
  /** bind group of the bitmap path, reused while the texture and the input buffer stay */
  private cached: { texture: GPUTexture; input: GPUBuffer; group: GPUBindGroup } | null = null;
  private texture: GPUTexture | null = null;
  private params: GPUBuffer;
  private readonly owned: GPUBuffer[] = [];

  constructor(readonly device: GPUDevice) {
    this.params = device.createBuffer({ label: 'frame_preprocess:params', size: PARAMS_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.owned.push(this.params);
  }

  /** GPU buffers and textures held (for leak accounting). */
  get resourceCount(): number {
    return this.owned.length + (this.texture ? 1 : 0);
  }

  private pipeline(kind: FrameSourceKind): GPUComputePipeline {
    let p = this.pipelines.get(kind);
    if (!p) {
      const module = this.device.createShaderModule({ label: `frame_preprocess[${kind}]`, code: wgsl(kind === 'external' ? 'texture_external' : 'texture_2d<f32>') });
      const layout = this.device.createBindGroupLayout({
        label: `frame_preprocess[${kind}]`,
        entries: [
          kind === 'external'
            ? { binding: 0, visibility: GPUShaderStage.COMPUTE, externalTexture: {} }
            : { binding: 0, visibility: GPUShaderStage.COMPUTE, texture: { sampleType: 'float' } },
          { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
          { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
        ],
      });
      p = this.device.createComputePipeline({
        label: `frame_preprocess[${kind}]`,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: 'main' },
      });
      this.pipelines.set(kind, p);
    }
    return p;
  }

  private frameTexture(width: number, height: number): GPUTexture {
    if (!this.texture || this.texture.width !== width || this.texture.height !== height) {
      this.texture?.destroy();
      this.texture = this.device.createTexture({
        label: `frame_preprocess:frame ${width}x${height}`,
        size: [width, height],
        format: 'rgba8unorm',
        usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.RENDER_ATTACHMENT,
      });
    }
    return this.texture;
  }

  /**
   * Prepares the frame and returns a writer that records the preprocess pass into an
   * encoder (for GpuExecutor.runWith). Throws when the browser refuses the source (e.g.
   * "Failed to import texture from video"), so the caller can fall back.
   */
  prepare(source: VideoFrame | ImageBitmap, kind: FrameSourceKind, pre: Preprocess, roi: FrameRoi, timestampWrites?: GPUComputePassTimestampWrites): FrameWriter {
    return kind === 'external' ? this.prepareExternal(source as VideoFrame, pre, roi, timestampWrites) : this.prepareCopy(source, pre, roi, timestampWrites);
  }

  /** importExternalTexture of a VideoFrame or HTMLVideoElement (zero-copy; valid for this frame only). */
  prepareExternal(source: VideoFrame | HTMLVideoElement, pre: Preprocess, roi: FrameRoi, timestampWrites?: GPUComputePassTimestampWrites): FrameWriter {
    const { width, height } = sourceSize(source);
    const external = this.device.importExternalTexture({ label: 'frame_preprocess:camera', source });
    return this.writer('external', external, width, height, pre, roi, timestampWrites);
  }

  /** copyExternalImageToTexture of any copyable source (ImageBitmap, canvas, ImageData, video, VideoFrame) into the owned texture. */
  prepareCopy(source: GPUCopyExternalImageSource, pre: Preprocess, roi: FrameRoi, timestampWrites?: GPUComputePassTimestampWrites): FrameWriter {
    const { width, height } = sourceSize(source);
    const texture = this.frameTexture(width, height);
    this.device.queue.copyExternalImageToTexture({ source }, { texture }, [width, height]);
    return this.writer('bitmap', texture, width, height, pre, roi, timestampWrites);
  }

  /**
   * The same pass over a texture the caller filled (rgba8unorm, TEXTURE_BINDING), e.g. with
   * writeTexture from canvas pixels, or in tests where no ImageBitmap exists.
   */
  prepareTexture(texture: GPUTexture, pre: Preprocess, roi: FrameRoi, timestampWrites?: GPUComputePassTimestampWrites): FrameWriter {
    return this.writer('bitmap', texture, texture.width, texture.height, pre, roi, timestampWrites);
  }

  private writer(
    kind: FrameSourceKind,
    frame: GPUExternalTexture | GPUTexture,
    width: number,
    height: number,
    pre: Preprocess,
    roi: FrameRoi,
    timestampWrites?: GPUComputePassTimestampWrites,
  ): FrameWriter {
    const { device } = this;
    const cw = roi.width * pre.crop;
    const ch = roi.height * pre.crop;
    const x0 = roi.x + (roi.width - cw) / 2;
    const y0 = roi.y + (roi.height - ch) / 2;
    const scale = [0, 1, 2].map((k) => 1 / (255 * pre.std[k]));
    const bias = [0, 1, 2].map((k) => -pre.mean[k] / pre.std[k]);
    if (!(roi.x >= 0 && roi.y >= 0 && roi.width >= 1 && roi.height >= 1 && roi.x + roi.width <= width && roi.y + roi.height <= height)) {
      throw new RangeError(`frame preprocess: region ${JSON.stringify(roi)} is not inside the ${width}x${height} frame`);
    }
    const blob = new ArrayBuffer(PARAMS_BYTES);
    new Float32Array(blob, 0, 4).set([x0, y0, cw, ch]);
    new Uint32Array(blob, 16, 4).set([width, height, pre.width, pre.height]);
    new Float32Array(blob, 32, 12).set([...scale, 0, ...bias, 0, roi.x, roi.y, roi.x + roi.width - 1, roi.y + roi.height - 1]);
    new Uint32Array(blob, 80, 4).set([pre.colorOrder === 'bgr' ? 1 : 0, 0, 0, 0]);
    device.queue.writeBuffer(this.params, 0, blob);
    const pipeline = this.pipeline(kind);
    const texture = kind === 'bitmap' ? (frame as GPUTexture) : null;
    return (encoder, input) => {
      const make = (): GPUBindGroup =>
        device.createBindGroup({
          label: `frame_preprocess[${kind}]`,
          layout: pipeline.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: texture ? texture.createView() : (frame as GPUExternalTexture) },
            { binding: 1, resource: { buffer: input, offset: 0, size: pre.width * pre.height * 16 } },
            { binding: 2, resource: { buffer: this.params } },
          ],
        });
      let bindGroup: GPUBindGroup;
      if (texture) {
        if (this.cached?.texture !== texture || this.cached.input !== input) this.cached = { texture, input, group: make() };
        bindGroup = this.cached.group;
      } else {
        bindGroup = make(); // an external texture is valid for this frame only
      }
      const pass = encoder.beginComputePass({ label: `frame_preprocess[${kind}]`, timestampWrites });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(pre.width / 8), Math.ceil(pre.height / 8));
      pass.end();
    };
  }

  dispose(): void {
    this.texture?.destroy();
    this.texture = null;
    this.cached = null;
    for (const b of this.owned) b.destroy();
    this.owned.length = 0;
    this.pipelines.clear();
  }
}
