/**
 * SSD anchors (spec 8.4) as (cx, cy, w, h) normalized to the input image, in the order the
 * prediction maps are flattened: map, row y, column x, box (NHWC order of an H x W x A*K map).
 * - torchvision `DefaultBoxGenerator(aspect_ratios, min_ratio, max_ratio, clip=True)`.
 * - TF OD `ssd_anchor_generator` (`create_ssd_anchors` + `MultipleGridAnchorGenerator`).
 */

export interface AnchorSet {
  /** (cx, cy, w, h) per anchor */
  anchors: Float64Array;
  /** boxes per location of each map */
  perLocation: number[];
}

/** Linear scales from min to max over `maps` maps, plus 1.0 (both generators). */
export function ssdScales(maps: number, min: number, max: number): number[] {
  if (maps === 1) return [min, max];
  return [...Array.from({ length: maps }, (_, k) => min + ((max - min) * k) / (maps - 1)), 1.0];
}

/**
 * torchvision DefaultBoxGenerator (SSDLite: aspect ratios [[2, 3]] x 6, 0.2 .. 0.95): per
 * location (s_k, s_k), (s'_k, s'_k) with s'_k = sqrt(s_k s_{k+1}), then for each ratio r
 * (s_k sqrt r, s_k / sqrt r) and its transpose; w, h clamped to [0, 1]; centers
 * ((x + 0.5) / W_k, (y + 0.5) / H_k). `grids` are the maps' [height, width].
 */
export function torchvisionDefaultBoxes(grids: readonly (readonly [number, number])[], aspectRatios: readonly (readonly number[])[] = grids.map(() => [2, 3]), minRatio = 0.2, maxRatio = 0.95): AnchorSet {
  const scales = ssdScales(grids.length, minRatio, maxRatio);
  const out: number[] = [];
  const perLocation: number[] = [];
  grids.forEach(([gh, gw], k) => {
    const s = scales[k];
    const sp = Math.sqrt(scales[k] * scales[k + 1]);
    const wh: [number, number][] = [[s, s], [sp, sp]];
    for (const ar of aspectRatios[k]) {
      const r = Math.sqrt(ar);
      wh.push([s * r, s / r], [s / r, s * r]);
    }
    const clipped = wh.map(([w, h]) => [Math.min(Math.max(w, 0), 1), Math.min(Math.max(h, 0), 1)]);
    perLocation.push(wh.length);
    for (let y = 0; y < gh; y++) for (let x = 0; x < gw; x++) for (const [w, h] of clipped) out.push((x + 0.5) / gw, (y + 0.5) / gh, w, h);
  });
  return { anchors: Float64Array.from(out), perLocation };
}

export interface TfSsdAnchorOptions {
  minScale?: number;
  maxScale?: number;
  /** default the SSDLite-MobileNetV3 config's 1.0, 2.0, 0.5, 3.0, 0.3333 */
  aspectRatios?: readonly number[];
  interpolatedScaleAspectRatio?: number;
  reduceBoxesInLowestLayer?: boolean;
  /** input [height, width] (base anchors are scaled by min(h, w) / h and / w) */
  imageSize?: readonly [number, number];
}

/**
 * TF OD ssd_anchor_generator: layer 0 (reduce_boxes_in_lowest_layer) (0.1, 1), (s_0, 2),
 * (s_0, 0.5); other layers every aspect ratio at s_i plus (sqrt(s_i s_{i+1}), 1); box size
 * (h, w) = (s / sqrt(ar), s sqrt(ar)); centers ((x + 0.5) / W_i, (y + 0.5) / H_i). Like the
 * code (no clip_window is passed by create_ssd_anchors), anchors are not clipped.
 */
export function tfSsdAnchors(grids: readonly (readonly [number, number])[], o: TfSsdAnchorOptions = {}): AnchorSet {
  const ratios = o.aspectRatios ?? [1.0, 2.0, 0.5, 3.0, 0.3333];
  const interp = o.interpolatedScaleAspectRatio ?? 1.0;
  const scales = ssdScales(grids.length, o.minScale ?? 0.2, o.maxScale ?? 0.95);
  const [ih, iw] = o.imageSize ?? [1, 1];
  const m = Math.min(ih, iw);
  const baseH = m / ih;
  const baseW = m / iw;
  const out: number[] = [];
  const perLocation: number[] = [];
  grids.forEach(([gh, gw], i) => {
    let specs: [number, number][];
    if (i === 0 && (o.reduceBoxesInLowestLayer ?? true)) specs = [[0.1, 1.0], [scales[0], 2.0], [scales[0], 0.5]];
    else {
      specs = ratios.map((ar) => [scales[i], ar] as [number, number]);
      if (interp > 0) specs.push([Math.sqrt(scales[i] * scales[i + 1]), interp]);
    }
    perLocation.push(specs.length);
    const sizes = specs.map(([s, ar]) => [s * Math.sqrt(ar) * baseW, (s / Math.sqrt(ar)) * baseH]);
    for (let y = 0; y < gh; y++) for (let x = 0; x < gw; x++) for (const [w, h] of sizes) out.push((x + 0.5) / gw, (y + 0.5) / gh, w, h);
  });
  return { anchors: Float64Array.from(out), perLocation };
}

/** Corners (x1, y1, x2, y2) of anchor i, in units of the given image size. */
export function anchorCorners(a: ArrayLike<number>, i: number, width = 1, height = 1): [number, number, number, number] {
  const [cx, cy, w, h] = [a[4 * i], a[4 * i + 1], a[4 * i + 2], a[4 * i + 3]];
  return [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height];
}
