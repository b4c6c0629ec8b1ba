/**
 * ssd_decode: SSD box decoding + score threshold + compaction into a candidate list
 * (shaders/ssd_decode.wgsl). One single-workgroup dispatch per feature map; the maps'
 * dispatches append to one output through its header (see the shader header).
 */
import { defineKernel, type KernelSpec } from './spec.js';

/** SCORE override codes. */
export const SSD_SCORES = { softmax: 0, sigmoid: 1 } as const;
/** ORDER override codes: box code order (dx, dy, dw, dh) or TF OD's (dy, dx, dh, dw). */
export const SSD_CODE_ORDERS = { xywh: 0, yxhw: 1 } as const;

export const SSD_DECODE: KernelSpec = defineKernel({
  name: 'ssd_decode',
  file: 'ssd_decode.wgsl',
  bindings: [
    { name: 'cls', binding: 0, kind: 'read-only-storage' },
    { name: 'box', binding: 1, kind: 'read-only-storage' },
    { name: 'weights', binding: 2, kind: 'read-only-storage' },
    { name: 'output', binding: 3, kind: 'storage' },
    { name: 'params', binding: 4, kind: 'uniform' },
  ],
  params: [
    { name: 'locations', type: 'u32' },
    { name: 'anchors', type: 'u32' },
    { name: 'classes', type: 'u32' },
    { name: 'cls_c4', type: 'u32' },
    { name: 'a_offset', type: 'u32' },
    { name: 'anchor_base', type: 'u32' },
    { name: 'first', type: 'u32' },
    { name: 'first_class', type: 'u32' },
    { name: 'capacity', type: 'u32' },
    { name: 'threshold', type: 'f32' },
    { name: 'center_scale', type: 'f32' },
    { name: 'size_scale', type: 'f32' },
    { name: 'max_log_scale', type: 'f32' },
  ],
  overrides: { SCORE: [SSD_SCORES.softmax, SSD_SCORES.sigmoid], ORDER: [SSD_CODE_ORDERS.xywh, SSD_CODE_ORDERS.yxhw] },
  workgroupSize: [256, 1, 1],
  dispatchSize() {
    // one workgroup per map: the counter lives in workgroup memory
    return [1, 1, 1];
  },
});
