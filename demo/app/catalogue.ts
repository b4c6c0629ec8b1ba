/**
 * The demo's built-in models, per task. Files are fetched from the page's own server
 * (`/models/...`, mapped to ../shared/models and .cache/assets by vite.config.ts), so the page
 * works offline; a user elsewhere loads the same files with the "load model" input or a URL.
 */

export type TaskKind = 'classify' | 'detect' | 'segment';
export type BackendPick = 'auto' | 'webgpu' | 'wasm' | 'cpu';

export const TASKS: readonly TaskKind[] = ['classify', 'detect', 'segment'];
export const BACKENDS: readonly BackendPick[] = ['auto', 'webgpu', 'wasm', 'cpu'];

export interface CatalogueEntry {
  id: string;
  task: TaskKind;
  label: string;
  format: 'tflite' | 'tfjs' | 'native-ssdlite' | 'native-lraspp';
  /** model file URL (TF.js: the model.json; shards are next to it) */
  url?: string;
  /** input sizes the model can be built at (square); absent: fixed by the file */
  resolutions?: readonly number[];
  defaultResolution?: number;
  /** shown next to the model (e.g. untrained weights) */
  note?: string;
}

export const CATALOGUE: readonly CatalogueEntry[] = [
  { id: 'v3-small-uint8', task: 'classify', label: 'MobileNetV3-Small 1.0 (TFLite uint8, ImageNet)', format: 'tflite', url: '/models/v3-small_224_1.0_uint8.tflite' },
  { id: 'v3-small-int8', task: 'classify', label: 'MobileNetV3-Small 1.0 (TFLite int8, TF-Hub)', format: 'tflite', url: '/models/Mobilenet_v3_small_quant.tflite' },
  {
    id: 'centernet',
    task: 'detect',
    label: 'CenterNet MobileNetV3-Large 0.75 (TF.js, COCO, 512x512)',
    format: 'tfjs',
    url: '/models/centernet.json',
  },
  {
    id: 'ssdlite',
    task: 'detect',
    label: 'SSDLite MobileNetV3-Large (native graph)',
    format: 'native-ssdlite',
    resolutions: [256, 320],
    defaultResolution: 320,
    note: 'untrained: seeded weights, so its boxes are meaningless (shows the native SSDLite pipeline)',
  },
  { id: 'selfie', task: 'segment', label: 'MediaPipe selfie segmentation (TFLite, 256x256)', format: 'tflite', url: '/models/selfie_segmentation.tflite' },
  { id: 'selfie-landscape', task: 'segment', label: 'MediaPipe selfie landscape (TFLite, 144x256)', format: 'tflite', url: '/models/selfie_segmentation_landscape.tflite' },
  { id: 'selfie-tfjs', task: 'segment', label: 'Selfie segmentation (TF.js conversion, 256x256)', format: 'tfjs', url: '/models/selfie.json' },
  {
    id: 'lraspp',
    task: 'segment',
    label: 'LR-ASPP MobileNetV3-Large (native graph, VOC)',
    format: 'native-lraspp',
    resolutions: [256, 320, 384],
    defaultResolution: 256,
    note: 'untrained: seeded weights, so its mask is meaningless (shows the native LR-ASPP pipeline)',
  },
];

export const DEFAULT_MODEL: Record<TaskKind, string> = { classify: 'v3-small-uint8', detect: 'centernet', segment: 'selfie' };

export const entry = (id: string): CatalogueEntry | undefined => CATALOGUE.find((e) => e.id === id);

/** Which model files must exist for an entry (for the availability check). */
export function entryFiles(e: CatalogueEntry): string[] {
  if (!e.url) return [];
  return e.format === 'tfjs' ? [e.url, e.url.replace(/\.json$/, '.bin')] : [e.url];
}

export const TASK_OF_MODEL_KIND: Record<string, TaskKind | undefined> = { classification: 'classify', detection: 'detect', segmentation: 'segment' };
