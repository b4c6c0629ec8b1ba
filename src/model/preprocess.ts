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
export function preprocessImage(img: ImageLike, p: Preprocess): Float32Array {
  for (const k of ['width', 'height'] as const) {
    if (!Number.isInteger(img[k]) || img[k] < 1) throw new RangeError(`image: ${k} ${String(img[k])} must be a positive integer`);
  }
  const ch = img.data.length / (img.width * img.height);
  if (ch !== 3 && ch !== 4) throw new RangeError(`image: ${img.data.length} bytes for ${img.width}x${img.height} is neither RGB nor RGBA`);
  if (!(p.crop > 0 && p.crop <= 1)) throw new RangeError(`preprocess: crop ${p.crop} must be in (0, 1]`);
  const cw = img.width * p.crop;
  const chh = img.height * p.crop;
  const x0 = (img.width - cw) / 2;
  const y0 = (img.height - chh) / 2;
  const out = new Float32Array(p.height * p.width * 3);
  const order = p.colorOrder === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const scale = order.map((_, k) => 1 / (255 * p.std[k]));
  const bias = order.map((_, k) => -p.mean[k] / p.std[k]);
  for (let oy = 0; oy < p.height; oy++) {
    const sy = Math.min(Math.max(y0 + (oy + 0.5) * (chh / p.height) - 0.5, 0), img.height - 1);
    const ya = Math.floor(sy);
    const yb = Math.min(ya + 1, img.height - 1);
    const fy = sy - ya;
    for (let ox = 0; ox < p.width; ox++) {
      const sx = Math.min(Math.max(x0 + (ox + 0.5) * (cw / p.width) - 0.5, 0), img.width - 1);
      const xa = Math.floor(sx);
      const xb = Math.min(xa + 1, img.width - 1);
      const fx = sx - xa;
      for (let k = 0; k < 3; k++) {
        const s = order[k];
        const v00 = img.data[(ya * img.width + xa) * ch + s];
        const v01 = img.data[(ya * img.width + xb) * ch + s];
        const v10 = img.data[(yb * img.width + xa) * ch + s];
        const v11 = img.data[(yb * img.width + xb) * ch + s];
        const v = (v00 * (1 - fx) + v01 * fx) * (1 - fy) + (v10 * (1 - fx) + v11 * fx) * fy;
        out[(oy * p.width + ox) * 3 + k] = v * scale[k] + bias[k];
      }
    }
  }
  return out;
}
