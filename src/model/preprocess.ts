/**
 * Model input preprocessing as data: every model declares how an RGB(A) image becomes its
 * input tensor (crop, resize, colour order, scaling), so `model.run(image)` does the right
 * thing for any image. This is the CPU implementation (the oracle for the GPU one).
 */

export interface Preprocess {
  /** model input size */
  height: number;
  width: number;
  /** channel order the model expects */
  colorOrder: 'rgb' | 'bgr';
  /** value = (pixel / 255 - mean[k]) / std[k], k in the model's channel order */
  mean: [number, number, number];
  std: [number, number, number];
  /** central fraction of each side kept before resizing (1 = whole image; paper: 0.875) */
  crop: number;
}

/** An 8-bit RGB or RGBA image, row-major (ImageData is one). */
export interface ImageLike {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

export const PREPROCESS_PRESETS = {
  /** paper / TF-slim: 87.5% central crop, bilinear, [-1, 1] */
  paper: (size = 224): Preprocess => ({ height: size, width: size, colorOrder: 'rgb', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], crop: 0.875 }),
  /** torchvision ImageNet mean/std (no crop here: the caller picks the crop) */
  imagenet: (size = 224): Preprocess => ({ height: size, width: size, colorOrder: 'rgb', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], crop: 1 }),
} as const;

export function isImageLike(x: unknown): x is ImageLike {
  const i = x as ImageLike;
  return !!i && typeof i === 'object' && (i.data instanceof Uint8Array || i.data instanceof Uint8ClampedArray) && Number.isInteger(i.width) && Number.isInteger(i.height);
}

/** Central crop, bilinear resize (half-pixel centres), colour order and scaling -> NHWC float32. */
/**
 * Checks an image and a preprocessing against each other and returns the crop (in source
 * pixels) and the image's channel count (3 or 4): what preprocessImage and the wasm backend's
 * image input share.
 */
export function imageCrop(img: ImageLike, p: Preprocess): { x0: number; y0: number; cw: number; chh: number; ch: number } {
  for (const k of ['width', 'height'] as const) {
    if (!Number.isInteger(img[k]) || img[k] < 1) throw new RangeError(`image: ${k} ${String(img[k])} must be a positive integer`);
  }
  const ch = img.data.length / (img.width * img.height);
  if (ch !== 3 && ch !== 4) throw new RangeError(`image: ${img.data.length} bytes for ${img.width}x${img.height} is neither RGB nor RGBA`);
  if (!(p.crop > 0 && p.crop <= 1)) throw new RangeError(`preprocess: crop ${p.crop} must be in (0, 1]`);
  const cw = img.width * p.crop;
  const chh = img.height * p.crop;
  return { x0: (img.width - cw) / 2, y0: (img.height - chh) / 2, cw, chh, ch };
}

/** value = pixel * scale[k] + bias[k] for output channel k, which is source channel order[k] */
export function pixelAffine(p: Preprocess): { order: [number, number, number]; scale: number[]; bias: number[] } {
  return {
    order: p.colorOrder === 'rgb' ? [0, 1, 2] : [2, 1, 0],
    scale: [0, 1, 2].map((k) => 1 / (255 * p.std[k])),
    bias: [0, 1, 2].map((k) => -p.mean[k] / p.std[k]),
  };
}

/** Central crop, bilinear resize (half-pixel centres), colour order and scaling -> NHWC float32. */
export function preprocessImage(img: ImageLike, p: Preprocess): Float32Array {
  const { x0, y0, cw, chh, ch } = imageCrop(img, p);
  const out = new Float32Array(p.height * p.width * 3);
  const { order, scale, bias } = pixelAffine(p);
  const [r, g, b] = order;
  const [s0, s1, s2] = scale;
  const [b0, b1, b2] = bias;
  const data = img.data;
  const W = img.width;
  // per output column: the two source columns (as byte offsets) and the weight of the right one
  const colA = new Int32Array(p.width);
  const colB = new Int32Array(p.width);
  const colF = new Float64Array(p.width);
  for (let ox = 0; ox < p.width; ox++) {
    const sx = Math.min(Math.max(x0 + (ox + 0.5) * (cw / p.width) - 0.5, 0), W - 1);
    const xa = Math.floor(sx);
    colA[ox] = xa * ch;
    colB[ox] = Math.min(xa + 1, W - 1) * ch;
    colF[ox] = sx - xa;
  }
  for (let oy = 0; oy < p.height; oy++) {
    const sy = Math.min(Math.max(y0 + (oy + 0.5) * (chh / p.height) - 0.5, 0), img.height - 1);
    const ya = Math.floor(sy);
    const rowA = ya * W * ch;
    const rowB = Math.min(ya + 1, img.height - 1) * W * ch;
    const fy = sy - ya;
    const gy = 1 - fy;
    let o = oy * p.width * 3;
    for (let ox = 0; ox < p.width; ox++, o += 3) {
      const fx = colF[ox];
      const gx = 1 - fx;
      const a0 = rowA + colA[ox], a1 = rowA + colB[ox], c0 = rowB + colA[ox], c1 = rowB + colB[ox];
      // the same arithmetic, in the same order, as a per-channel loop (results are bit-identical)
      out[o] = ((data[a0 + r] * gx + data[a1 + r] * fx) * gy + (data[c0 + r] * gx + data[c1 + r] * fx) * fy) * s0 + b0;
      out[o + 1] = ((data[a0 + g] * gx + data[a1 + g] * fx) * gy + (data[c0 + g] * gx + data[c1 + g] * fx) * fy) * s1 + b1;
      out[o + 2] = ((data[a0 + b] * gx + data[a1 + b] * fx) * gy + (data[c0 + b] * gx + data[c1 + b] * fx) * fy) * s2 + b2;
    }
  }
  return out;
}
