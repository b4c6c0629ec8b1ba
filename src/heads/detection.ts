/**
 * SSDLite with a MobileNetV3 backbone (paper 6.3, spec 8) as a native variant:
 * - 'torchvision': `ssdlite320_mobilenet_v3_large` (reduced tail, as used for the COCO_V1
 *   weights); C4 = the expansion output of bneck 13 (Small 9), C5 = the last conv; 4 extra
 *   blocks (1x1 to d/2, 3x3 depthwise stride 2, 1x1 to d; BN eps 1e-3 + ReLU6) of depth 512,
 *   256, 256, 128; per map a depthwise-separable class and box predictor with 6 anchors;
 *   DefaultBoxGenerator anchors; softmax scores. Names are torchvision's state_dict keys.
 * - 'tf': TF OD `ssd_mobilenet_v3_*` / V3_*_DETECTION: the same structure with 3 anchors on
 *   C4, extras scaled by the width multiplier, ssd_anchor_generator anchors, sigmoid scores.
 * Box coder weights 10, 10, 5, 5 (code order dx, dy, dw, dh / TF dy, dx, dh, dw).
 *
 * Post-processing: with `postprocess: 'graph'` (default) the graph ends in an `ssd_decode`
 * node — on the GPU, a compute pass that decodes boxes, applies the score threshold and
 * compacts the candidates into a small list (maxCandidates rows), so only those are read
 * back; NMS then runs on the CPU (`postprocessDetections`). The result equals the
 * framework's post-processing restricted to scores above `scoreThreshold` (greedy NMS and
 * per-class top-k are decided from the highest scores down). `postprocess: 'raw'` outputs
 * the 2N prediction maps instead (class maps, then box maps) and decodes on the CPU with the
 * frameworks' own thresholds.
 */
import type { Graph } from '../graph/ir.js';
import type { ModelSource } from '../model/source.js';
import { inferShapes } from '../graph/shapes.js';
import { OptionError, resolveVariant, type ModelSize, type ResolvedVariant } from '../graph/variants.js';
import { buildGraph, featureTensors, stageIndices } from '../graph/mobilenetv3_graph.js';
import { countGraph } from '../graph/stats.js';
import { loadTorchvisionSafetensors } from '../import/torchvision_weights.js';
import { PREPROCESS_PRESETS } from '../model/preprocess.js';
import { decodeCandidates, readCandidateRows, type SsdDecodeParams } from '../graph/ssd_decode.js';
import { HeadBuilder, calibrateFromTwin, renameGraph, renameTensor, CALIBRATION_SIZE, enumOption, intOption, numberOption } from './graph_builder.js';
import { torchvisionDefaultBoxes, tfSsdAnchors } from './anchors.js';
import { torchvisionPostprocess, tfPostprocess, type ScoredBox } from './nms.js';
import { COCO_CATEGORIES_91 } from './coco_labels.js';

export interface SsdliteOptions {
  size?: ModelSize;
  /** 'torchvision' (default) or 'tf' */
  form?: 'torchvision' | 'tf';
  width?: number;
  minimalistic?: boolean;
  /** class columns including background (default 91: COCO ids) */
  classes?: number;
  /** default 320 */
  resolution?: number | readonly [number, number];
  /** halve the tail (default true, the COCO configurations; spec 8.2) */
  reducedTail?: boolean;
  /** 'graph' (default): GPU decode + compaction, NMS on the candidates; 'raw': the prediction maps */
  postprocess?: 'graph' | 'raw';
  /** scores must exceed this; default 0.05 with 'graph', the framework's (0.001 / 1e-8) with 'raw' */
  scoreThreshold?: number;
  /** rows of the compact candidate list ('graph'; default 2000) */
  maxCandidates?: number;
  /** default 0.55 (torchvision) / 0.6 (tf) */
  iouThreshold?: number;
  /** default 300 (torchvision) / 100 (tf) */
  maxDetections?: number;
  seed?: number;
  /** torchvision form: SSDLite state_dict as safetensors bytes (default: seeded random weights) */
  weights?: Uint8Array;
  weightsName?: string;
}

export interface SsdHeadInfo {
  kind: 'ssdlite';
  form: 'torchvision' | 'tf';
  postprocess: 'graph' | 'raw';
  /** the decode parameters, anchors included (normalized (cx, cy, w, h)) */
  decode: SsdDecodeParams & { maxCandidates: number };
  labels: readonly string[];
  /** model input size */
  height: number;
  width: number;
  /** number of feature maps (raw outputs: N class maps, then N box maps) */
  maps: number;
  nms: { iouThreshold: number; maxDetections: number; perClass: number };
}

export interface DetectionSource extends ModelSource {
  readonly variant: ResolvedVariant;
  readonly head: SsdHeadInfo;
}

export interface Detection {
  /** [x1, y1, x2, y2] in image pixels */
  box: [number, number, number, number];
  score: number;
  /** COCO category id (index into COCO_CATEGORIES_91) */
  classId: number;
  label: string;
}

interface Resolved {
  form: 'torchvision' | 'tf';
  variant: ResolvedVariant;
  classes: number;
  postprocess: 'graph' | 'raw';
  scoreThreshold: number;
  maxCandidates: number;
  iouThreshold: number;
  maxDetections: number;
}

function resolve(o: SsdliteOptions, resolution?: [number, number]): Resolved {
  const form = enumOption('form', o.form, ['torchvision', 'tf'] as const, 'torchvision');
  const tv = form === 'torchvision';
  if (o.reducedTail !== undefined && typeof o.reducedTail !== 'boolean') throw new OptionError('reducedTail', `${JSON.stringify(o.reducedTail)} (expected a boolean)`);
  const variant = resolveVariant({
    size: o.size ?? 'large', width: o.width, widthSemantics: tv ? 'torchvision' : 'tf', minimalistic: o.minimalistic, resolution: resolution ?? o.resolution ?? 320,
    seed: o.seed, reducedTail: o.reducedTail ?? true, classifier: false,
  });
  const postprocess = enumOption('postprocess', o.postprocess, ['graph', 'raw'] as const, 'graph');
  return {
    form, variant, postprocess,
    classes: intOption('classes', o.classes, 2, 10000, 91),
    scoreThreshold: numberOption('scoreThreshold', o.scoreThreshold, 0, 1, postprocess === 'graph' ? 0.05 : tv ? 0.001 : 1e-8),
    maxCandidates: intOption('maxCandidates', o.maxCandidates, 1, 1 << 20, 2000),
    iouThreshold: numberOption('iouThreshold', o.iouThreshold, 0, 1, tv ? 0.55 : 0.6),
    maxDetections: intOption('maxDetections', o.maxDetections, 1, 100000, tv ? 300 : 100),
  };
}

/** torchvision module path of a backbone node inside SSDLiteFeatureExtractorMobileNet. */
function ssdBackboneName(c4: number): (p: string) => string {
  return (p) => {
    const m = /^features\.(\d+)(\.block\.(\d+))?(.*)$/.exec(p);
    if (!m) return `backbone.${p}`;
    const i = Number(m[1]);
    if (i < c4) return `backbone.features.0.${p.slice('features.'.length)}`;
    if (i > c4) return `backbone.features.1.${i - c4}${m[2] ?? ''}${m[4]}`;
    // C4 block split: its expansion conv ends features[0], the rest starts features[1]
    if (m[3] === '0') return `backbone.features.0.${c4}${m[4]}`;
    return `backbone.features.1.0.${m[3]}${m[4]}`;
  };
}

const anchorsPerLocation = (form: 'torchvision' | 'tf', maps: number): number[] => Array.from({ length: maps }, (_, i) => (form === 'tf' && i === 0 ? 3 : 6));

interface Built {
  graph: Graph;
  decode: SsdDecodeParams & { maxCandidates: number };
}

function buildSsdlite(r: Resolved, withDecode: boolean): Built {
  const v = r.variant;
  const tv = r.form === 'torchvision';
  const c4Index = stageIndices(v).at(-2)!;
  const rename = ssdBackboneName(c4Index);
  const g = renameGraph(buildGraph(v), rename);
  const taps = featureTensors(v);
  const shapes = inferShapes(g);
  const b = new HeadBuilder(v.options.seed);
  const maps: { t: string; c: number }[] = [taps.C4, taps.C5].map((t) => ({ t: renameTensor(t, rename), c: shapes.get(renameTensor(t, rename))!.c }));
  // extra layers (spec 8.2): torchvision's extractor keeps width_mult 1.0; TF scales by the depth multiplier
  const alpha = tv ? 1 : v.options.width;
  [512, 256, 256, 128].forEach((d, k) => {
    const out = Math.max(16, Math.floor(d * alpha));
    const mid = tv ? Math.floor(out / 2) : Math.max(16, Math.floor((d / 2) * alpha));
    const p = `backbone.extra.${k}`;
    const prev = maps[maps.length - 1];
    let x = b.convBnAct(`${p}.0`, prev.t, prev.c, mid, 'relu6', 1e-3);
    x = b.convBnAct(`${p}.1`, x, mid, mid, 'relu6', 1e-3, { k: 3, stride: 2, groups: 'depthwise' });
    x = b.convBnAct(`${p}.2`, x, mid, out, 'relu6', 1e-3);
    maps.push({ t: x, c: out });
  });
  const perLoc = anchorsPerLocation(r.form, maps.length);
  // seeded class biases: TF OD initialises them at class_prediction_bias_init -4.6 (spec 8.3),
  // so sigmoid scores start near 0.01; torchvision at 0
  const predict = (head: string, cols: number, biasInit = 0): string[] =>
    maps.map((m, i) => {
      const p = `head.${head}.module_list.${i}`;
      const x = b.convBnAct(`${p}.0`, m.t, m.c, m.c, 'relu6', 1e-3, { k: 3, groups: 'depthwise' });
      return b.conv(`${p}.1`, x, m.c, cols * perLoc[i], { bias: true, biasInit });
    });
  const cls = predict('classification_head', r.classes, tv ? 0 : -4.6);
  const box = predict('regression_head', 4);
  const nodes = [...g.nodes, ...b.nodes];
  const all = inferShapes({ ...g, nodes, outputs: [] });
  const grids = cls.map((t) => [all.get(t)!.h, all.get(t)!.w] as [number, number]);
  const [H, W] = v.options.resolution;
  const anchors = tv ? torchvisionDefaultBoxes(grids) : tfSsdAnchors(grids, { imageSize: [H, W] });
  const decode: Built['decode'] = {
    anchors: Float32Array.from(anchors.anchors), anchorsPerLocation: anchors.perLocation, numClasses: r.classes, firstClass: 1,
    score: tv ? 'softmax' : 'sigmoid', codeOrder: tv ? 'xywh' : 'yxhw', centerScale: 10, sizeScale: 5,
    maxLogScale: tv ? Math.log(1000 / 16) : Infinity, scoreThreshold: r.scoreThreshold, maxCandidates: r.maxCandidates,
  };
  let outputs = [...cls, ...box];
  if (withDecode && r.postprocess === 'graph') {
    nodes.push({ op: 'ssd_decode', name: 'postprocess.decode', inputs: outputs, output: 'candidates', ...decode });
    outputs = ['candidates'];
  }
  const name = `ssdlite_${tv ? '' : 'tf_'}${v.name.replace(/_features/, '')}_${r.classes}`;
  return { graph: { ...g, name, nodes, outputs }, decode };
}

/** The SSDLite graph with seeded weights and uncalibrated BatchNorm statistics (counting, inspection). */
export const buildSsdliteGraph = (opts: SsdliteOptions = {}): Graph => buildSsdlite(resolve(opts), true).graph;

/** The SSDLite detector as a ModelSource (spec 8). Options are validated here. */
export function ssdlite(opts: SsdliteOptions = {}): DetectionSource {
  const r = resolve(opts);
  const tv = r.form === 'torchvision';
  if (opts.weights && !tv) throw new OptionError('weights', "safetensors weights follow torchvision's names: only the 'torchvision' form loads them");
  const probe = buildSsdlite(r, true);
  const params = countGraph(probe.graph).params;
  const [H, W] = r.variant.options.resolution;
  const build = (): Graph => {
    const g = buildSsdlite(r, true).graph;
    if (opts.weights) loadTorchvisionSafetensors(g, opts.weights, opts.weightsName ?? 'weights.safetensors');
    else calibrateFromTwin(g, buildSsdlite(resolve(opts, [CALIBRATION_SIZE, CALIBRATION_SIZE]), false).graph, r.variant.options.seed, (bn) => bn.startsWith('backbone.extra.') || bn.startsWith('head.'));
    return g;
  };
  let cached: Graph | null = null;
  return {
    name: probe.graph.name,
    variant: r.variant,
    params,
    preprocess: { ...PREPROCESS_PRESETS.paper(), crop: 1, height: H, width: W },
    task: { kind: 'detection', format: tv ? 'ssdlite-torchvision' : 'ssdlite-tf' },
    head: {
      kind: 'ssdlite', form: r.form, postprocess: r.postprocess, decode: probe.decode, height: H, width: W, maps: probe.decode.anchorsPerLocation.length,
      labels: r.classes === 91 ? COCO_CATEGORIES_91 : Array.from({ length: r.classes }, (_, i) => (i === 0 ? '__background__' : `class ${i}`)),
      nms: { iouThreshold: r.iouThreshold, maxDetections: r.maxDetections, perClass: tv ? 300 : 100 },
    },
    graph: () => (cached ??= build()),
  };
}

export interface DetectionResult {
  detections: Detection[];
  /** candidates above the score threshold (before truncation to maxCandidates) */
  candidates: number;
  /** true when there were more candidates than maxCandidates rows: some were dropped unseen */
  overflow: boolean;
}

/**
 * runAll() outputs of an SSDLite model -> detections (NMS on the CPU), boxes in pixels of an
 * image of the given size (default the model input; torchvision and TF both resize without
 * keeping the aspect ratio, so x and y scale independently).
 */
export function postprocessDetections(outputs: readonly Float32Array[], head: SsdHeadInfo, image: { width?: number; height?: number } = {}): DetectionResult {
  let cands: ScoredBox[];
  let count: number;
  let overflow = false;
  if (head.postprocess === 'graph') {
    if (outputs.length < 1) throw new RangeError('postprocessDetections: no outputs');
    const rows = readCandidateRows(outputs[0]);
    cands = rows.candidates;
    count = rows.count;
    overflow = rows.count > rows.capacity;
  } else {
    if (outputs.length !== 2 * head.maps) throw new RangeError(`postprocessDetections: expected ${2 * head.maps} raw outputs (class maps then box maps), got ${outputs.length}`);
    cands = decodeCandidates(head.decode, outputs.slice(0, head.maps), outputs.slice(head.maps));
    count = cands.length;
  }
  const threshold = head.decode.scoreThreshold;
  const kept =
    head.form === 'torchvision'
      ? torchvisionPostprocess(cands, { scoreThreshold: threshold, topkCandidates: head.nms.perClass, iouThreshold: head.nms.iouThreshold, detectionsPerImage: head.nms.maxDetections })
      : tfPostprocess(cands, { scoreThreshold: threshold, iouThreshold: head.nms.iouThreshold, maxPerClass: head.nms.perClass, maxTotal: head.nms.maxDetections });
  const sx = image.width ?? head.width;
  const sy = image.height ?? head.height;
  const detections = kept.map((c) => ({
    box: [c.box[0] * sx, c.box[1] * sy, c.box[2] * sx, c.box[3] * sy] as [number, number, number, number],
    score: c.score,
    classId: c.classId,
    label: head.labels[c.classId] ?? `class ${c.classId}`,
  }));
  return { detections, candidates: count, overflow };
}

/** The detections only (see postprocessDetections). */
export const detections = (outputs: readonly Float32Array[], head: SsdHeadInfo, image?: { width?: number; height?: number }): Detection[] =>
  postprocessDetections(outputs, head, image).detections;
