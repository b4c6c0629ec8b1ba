/**
 * LR-ASPP segmentation (paper 6.4, spec 7) as a native variant, in two forms:
 * - 'torchvision' (spec 7.3): `lraspp_mobilenet_v3_large` — dilated backbone (all three last
 *   bnecks rate 2), full tail, low = features[4] output (40 ch, 1/8), high = the 960 conv;
 *   cbr (1x1 no bias + BN eps 1e-5 + ReLU) times scale (global pool, 1x1 no bias, sigmoid),
 *   bilinear (align_corners=False) to the low size, low_classifier + high_classifier, bilinear
 *   to the input size. Node names are torchvision's state_dict keys, so its safetensors load.
 * - 'tf' (spec 7.2, DeepLab): RF2 tail with the first expansion halved, TF-slim output stride
 *   16, low = the 1/8 depthwise output (120 / 88 ch); aspp0 (1x1 + BN eps 1e-5 + ReLU) times
 *   the image-pooling gate (avg pool with a large kernel and stride, VALID; 1x1 conv with bias;
 *   sigmoid; bilinear back), decoder: feature_projection0 (1x1, bias) on low, the gated branch
 *   resized to 1/8 then decoder_conv0 (1x1, bias), sum = logits, resized to the input. Every
 *   DeepLab resize is align_corners=True. The gate is the logistic sigmoid by default; DeepLab's
 *   checkpoints use q_sigmoid = relu6(x + 3) * 0.16667 (`gate: 'hsigmoid'`, spec D7(e)).
 * Outputs: [logits (H x W x classes, at the input size), class map (H x W x 1, argmax as float)],
 * or only the class map with `logits: false`.
 */
import type { Graph } from '../graph/ir.js';
import type { ModelSource } from '../model/source.js';
import { OptionError, resolveVariant, type ModelSize, type ResolvedVariant } from '../graph/variants.js';
import { buildGraph, featureTensors } from '../graph/mobilenetv3_graph.js';
import { inferShapes } from '../graph/shapes.js';
import { countGraph } from '../graph/stats.js';
import { loadTorchvisionSafetensors } from '../import/torchvision_weights.js';
import { PREPROCESS_PRESETS } from '../model/preprocess.js';
import { HeadBuilder, calibrateFromTwin, renameGraph, renameTensor, CALIBRATION_SIZE, enumOption, intOption } from './graph_builder.js';

export interface LrasppOptions {
  size?: ModelSize;
  /** 'torchvision' (default) or 'tf' (paper / DeepLab) */
  form?: 'torchvision' | 'tf';
  width?: number;
  minimalistic?: boolean;
  /** default 21 (torchvision, VOC labels) / 19 (tf, Cityscapes) */
  classes?: number;
  /** square or [h, w], multiples of 8 from 96; default 520 (torchvision) / [1024, 2048] (tf) */
  resolution?: number | readonly [number, number];
  /** default false (torchvision) / 'deeplab' (tf) */
  reducedTail?: boolean | 'torchvision' | 'deeplab';
  /** output stride 16 (default) or false for 32; the form picks torchvision's or TF-slim's dilation */
  dilated?: boolean;
  /** branch width (default 128) */
  interChannels?: number;
  /** tf form: image_pooling_crop_size ([769, 769]), the pool kernel is (crop - 1) / OS + 1; 'global' pools globally */
  poolingCropSize?: readonly [number, number] | 'global';
  /** tf form: image_pooling_stride (default [4, 5]) */
  poolingStride?: readonly [number, number];
  /** tf form: gate non-linearity, 'sigmoid' (default) or 'hsigmoid' (DeepLab's q_sigmoid) */
  gate?: 'sigmoid' | 'hsigmoid';
  /** include the logits output (default true); false: only the class map is read back */
  logits?: boolean;
  seed?: number;
  /** torchvision form: LR-ASPP state_dict as safetensors bytes (default: seeded random weights) */
  weights?: Uint8Array;
  weightsName?: string;
}

export interface LrasppHeadInfo {
  kind: 'lraspp';
  form: 'torchvision' | 'tf';
  classes: number;
  labels?: readonly string[];
  /** index of the class-map output in runAll(); the logits (when present) are output 0 */
  maskOutput: number;
  height: number;
  width: number;
}

export interface SegmentationSource extends ModelSource {
  readonly variant: ResolvedVariant;
  readonly head: LrasppHeadInfo;
}

/** torchvision's VOC label order (LR-ASPP COCO_WITH_VOC_LABELS_V1). */
export const VOC_CATEGORIES: readonly string[] = Object.freeze([
  '__background__', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable',
  'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
]);

/** Cityscapes train ids 0..18 (DeepLab's Cityscapes checkpoints). */
export const CITYSCAPES_CATEGORIES: readonly string[] = Object.freeze([
  'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign', 'vegetation', 'terrain', 'sky',
  'person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle',
]);

interface Resolved {
  form: 'torchvision' | 'tf';
  variant: ResolvedVariant;
  classes: number;
  inter: number;
  pooling: { crop: [number, number]; kernel: [number, number]; stride: [number, number] } | 'global';
  gate: 'sigmoid' | 'hsigmoid';
  logits: boolean;
}

function resolve(o: LrasppOptions, resolution?: [number, number], calibration = false): Resolved {
  const form = enumOption('form', o.form, ['torchvision', 'tf'] as const, 'torchvision');
  const tv = form === 'torchvision';
  if (o.dilated !== undefined && typeof o.dilated !== 'boolean') throw new OptionError('dilated', `${JSON.stringify(o.dilated)} (expected a boolean; the form picks the dilation rule)`);
  const dilated = o.dilated === false ? false : tv ? 'torchvision' : 'tf';
  const variant = resolveVariant({
    size: o.size ?? 'large', width: o.width, widthSemantics: tv ? 'torchvision' : 'tf', minimalistic: o.minimalistic,
    resolution: resolution ?? o.resolution ?? (tv ? 520 : [1024, 2048]), seed: o.seed, reducedTail: o.reducedTail ?? (tv ? false : 'deeplab'), dilated, classifier: false,
  });
  const classes = intOption('classes', o.classes, 1, 1000, tv ? 21 : 19);
  const inter = intOption('interChannels', o.interChannels, 1, 4096, 128);
  const gate = enumOption('gate', o.gate, ['sigmoid', 'hsigmoid'] as const, 'sigmoid');
  if (tv) {
    const set = (['poolingCropSize', 'poolingStride', 'gate'] as const).find((k) => o[k] !== undefined);
    if (set) throw new OptionError(set, "only the 'tf' form has a windowed image pooling and a choice of gate (torchvision pools globally with a sigmoid)");
  }
  let pooling: Resolved['pooling'] = 'global';
  if (!tv && o.poolingCropSize !== 'global' && !calibration) {
    const crop = o.poolingCropSize ?? [769, 769];
    const stride = o.poolingStride ?? [4, 5];
    for (const [name, pair] of [['poolingCropSize', crop], ['poolingStride', stride]] as const) {
      if (!Array.isArray(pair) || pair.length !== 2 || pair.some((v) => !Number.isInteger(v) || v < 1)) throw new OptionError(name, `${JSON.stringify(pair)} (expected [height, width] positive integers)`);
    }
    const os = dilated ? 16 : 32;
    // DeepLab's scale_dimension(crop, 1 / OS)
    pooling = { crop: [crop[0], crop[1]], kernel: [Math.floor((crop[0] - 1) / os + 1), Math.floor((crop[1] - 1) / os + 1)], stride: [stride[0], stride[1]] };
  }
  if (o.logits !== undefined && typeof o.logits !== 'boolean') throw new OptionError('logits', `${JSON.stringify(o.logits)} (expected a boolean)`);
  return { form, variant, classes, inter, pooling, gate, logits: o.logits ?? true };
}

/** Builds the whole LR-ASPP graph (seeded weights, BN statistics uncalibrated). */
function buildLraspp(r: Resolved): Graph {
  const v = r.variant;
  const toBackbone = (p: string): string => p.replace(/^features\./, 'backbone.');
  const g = renameGraph(buildGraph(v), toBackbone);
  const taps = featureTensors(v);
  const high = renameTensor(taps.C5, toBackbone);
  const low = renameTensor(r.form === 'torchvision' ? taps.low : taps.low_dw, toBackbone);
  const shapes = inferShapes(g);
  const hs = shapes.get(high)!;
  const ls = shapes.get(low)!;
  const [H, W] = v.options.resolution;
  const b = new HeadBuilder(v.options.seed);
  const tv = r.form === 'torchvision';
  const coord = tv ? 'pytorch_half_pixel' : 'align_corners';
  let logits: string;
  if (tv) {
    const x = b.convBnAct('classifier.cbr', high, hs.c, r.inter, 'relu', 1e-5);
    b.push({ op: 'global_avg_pool', name: 'classifier.scale.0', input: high, output: 'classifier.scale.0:out' });
    const s = b.act('classifier.scale.2', b.conv('classifier.scale.1', 'classifier.scale.0:out', hs.c, r.inter), 'sigmoid');
    const xs = b.push({ op: 'channel_scale', name: 'classifier.mul', input: x, scale: s, output: 'classifier.mul:out' });
    const up = b.push({ op: 'resize', name: 'classifier.upsample', input: xs, output: 'classifier.upsample:out', outH: ls.h, outW: ls.w, mode: 'bilinear', coord });
    const lo = b.conv('classifier.low_classifier', low, ls.c, r.classes, { bias: true });
    const hi = b.conv('classifier.high_classifier', up, r.inter, r.classes, { bias: true });
    logits = b.push({ op: 'add', name: 'classifier.add', inputs: [lo, hi], output: 'classifier:out', epilogue: { act: 'none' } });
  } else {
    const x = b.convBnAct('aspp0', high, hs.c, r.inter, 'relu', 1e-5);
    let gated: string;
    if (r.pooling === 'global') {
      b.push({ op: 'global_avg_pool', name: 'image_pooling.pool', input: high, output: 'image_pooling.pool:out' });
      const s = b.act('image_pooling.act', b.conv('image_pooling', 'image_pooling.pool:out', hs.c, r.inter, { bias: true }), r.gate);
      gated = b.push({ op: 'channel_scale', name: 'aspp.mul', input: x, scale: s, output: 'aspp.mul:out' });
    } else {
      const [kh, kw] = r.pooling.kernel;
      const [sh, sw] = r.pooling.stride;
      if (hs.h < kh || hs.w < kw) {
        throw new OptionError(
          'resolution',
          `${H}x${W} gives a ${hs.h}x${hs.w} high-level map (output stride ${v.options.dilated ? 16 : 32}), smaller than the ${kh}x${kw} image-pooling kernel ` +
            `of the tf-form LR-ASPP (poolingCropSize ${r.pooling.crop.join('x')}); use a larger input, a smaller poolingCropSize or poolingCropSize: 'global'`,
        );
      }
      b.push({ op: 'pool2d', name: 'image_pooling.pool', kind: 'avg', input: high, output: 'image_pooling.pool:out', kh, kw, strideH: sh, strideW: sw, pad: [0, 0, 0, 0], countIncludePad: false });
      const s = b.act('image_pooling.act', b.conv('image_pooling', 'image_pooling.pool:out', hs.c, r.inter, { bias: true }), r.gate);
      const ph = Math.floor((hs.h - kh) / sh) + 1;
      const pw = Math.floor((hs.w - kw) / sw) + 1;
      if (ph === 1 && pw === 1) {
        // resizing one pixel is a broadcast
        gated = b.push({ op: 'channel_scale', name: 'aspp.mul', input: x, scale: s, output: 'aspp.mul:out' });
      } else {
        const up = b.push({ op: 'resize', name: 'image_pooling.resize', input: s, output: 'image_pooling.resize:out', outH: hs.h, outW: hs.w, mode: 'bilinear', coord });
        gated = b.push({ op: 'binary', name: 'aspp.mul', kind: 'mul', inputs: [x, up], output: 'aspp.mul:out', epilogue: { act: 'none' } });
      }
    }
    const proj = b.conv('decoder.feature_projection0', low, ls.c, r.classes, { bias: true });
    const up = hs.h === ls.h && hs.w === ls.w ? gated : b.push({ op: 'resize', name: 'decoder.resize', input: gated, output: 'decoder.resize:out', outH: ls.h, outW: ls.w, mode: 'bilinear', coord });
    const dec = b.conv('decoder.decoder_conv0', up, r.inter, r.classes, { bias: true });
    logits = b.push({ op: 'add', name: 'decoder.add', inputs: [dec, proj], output: 'decoder:out', epilogue: { act: 'none' } });
  }
  const out = b.push({ op: 'resize', name: 'upsample', input: logits, output: 'logits', outH: H, outW: W, mode: 'bilinear', coord });
  const mask = b.push({ op: 'argmax', name: 'argmax', input: out, output: 'mask' });
  const name = `lraspp_${tv ? '' : 'tf_'}${v.name.replace(/_features/, '')}_${r.classes}`;
  return { ...g, name, nodes: [...g.nodes, ...b.nodes], outputs: r.logits ? [out, mask] : [mask] };
}

/** The LR-ASPP graph with seeded weights and uncalibrated BatchNorm statistics (counting, inspection). */
export const buildLrasppGraph = (opts: LrasppOptions = {}): Graph => buildLraspp(resolve(opts));

/** The LR-ASPP head as a ModelSource (spec 7). Options are validated here. */
export function lraspp(opts: LrasppOptions = {}): SegmentationSource {
  const r = resolve(opts);
  const tv = r.form === 'torchvision';
  if (opts.weights && !tv) throw new OptionError('weights', "safetensors weights follow torchvision's names: only the 'torchvision' form loads them");
  const probe = buildLraspp(r); // validates sizes eagerly, and gives the counts
  const params = countGraph(probe).params;
  const [H, W] = r.variant.options.resolution;
  const build = (): Graph => {
    const g = buildLraspp(r);
    if (opts.weights) loadTorchvisionSafetensors(g, opts.weights, opts.weightsName ?? 'weights.safetensors');
    else calibrateFromTwin(g, buildLraspp(resolve(opts, [CALIBRATION_SIZE, CALIBRATION_SIZE], true)), r.variant.options.seed);
    return g;
  };
  let cached: Graph | null = null;
  const pre = tv ? PREPROCESS_PRESETS.imagenet() : PREPROCESS_PRESETS.paper();
  return {
    name: probe.name,
    variant: r.variant,
    params,
    preprocess: { ...pre, crop: 1, height: H, width: W },
    task: { kind: 'segmentation', format: 'lraspp' },
    head: {
      kind: 'lraspp', form: r.form, classes: r.classes, maskOutput: r.logits ? 1 : 0, height: H, width: W,
      ...(r.classes === 21 && tv ? { labels: VOC_CATEGORIES } : r.classes === 19 && !tv ? { labels: CITYSCAPES_CATEGORIES } : {}),
    },
    graph: () => (cached ??= build()),
  };
}

export interface SegmentationMask {
  /** class id per pixel, row-major */
  mask: Uint8Array;
  width: number;
  height: number;
  labels?: readonly string[];
}

/**
 * The class map of an LR-ASPP model's runAll() outputs; with `size`, resized (nearest, pixel
 * centres) to that image size.
 */
export function segmentationMask(outputs: readonly Float32Array[], head: LrasppHeadInfo, size?: { width: number; height: number }): SegmentationMask {
  const m = outputs[head.maskOutput];
  if (!m || m.length !== head.height * head.width) throw new RangeError(`segmentationMask: output ${head.maskOutput} has ${m?.length ?? 0} values, expected ${head.height}x${head.width}`);
  if (head.classes > 256) throw new RangeError(`segmentationMask: ${head.classes} classes do not fit a Uint8Array`);
  const width = size?.width ?? head.width;
  const height = size?.height ?? head.height;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new RangeError(`segmentationMask: bad size ${width}x${height}`);
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.floor(((y + 0.5) * head.height) / height), head.height - 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.floor(((x + 0.5) * head.width) / width), head.width - 1);
      mask[y * width + x] = m[sy * head.width + sx];
    }
  }
  return { mask, width, height, ...(head.labels ? { labels: head.labels } : {}) };
}
