/**
 * The library's decoded result (model.runFrame -> result.result, i.e. decodeOutputs) -> what
 * the page draws: top-5 with a label for every class, boxes in frame pixels (CenterNet's
 * neighbouring peaks merged for display), or an 8-bit mask (maskBytes). Runs in the engine,
 * so only small results cross to the page.
 */
import { batchedNms, maskBytes, type Decoded as LibDecoded } from '../../src/index.js';

export interface ClassResult {
  index: number;
  label: string;
  score: number;
}

export interface BoxResult {
  /** [x1, y1, x2, y2] in frame pixels */
  box: [number, number, number, number];
  score: number;
  label: string;
}

export interface MaskResult {
  width: number;
  height: number;
  /** 'probability': 0..255 foreground probability; 'classes': class id per pixel */
  kind: 'probability' | 'classes';
  /** absent when the mask stayed on the GPU (drawn by the engine's mask layer; EngineApi.readMask reads it on demand) */
  data?: Uint8Array;
  /** the mask was drawn on the GPU, in the frame's submit, on the page's mask layer */
  gpu?: boolean;
  labels?: readonly string[];
}

export interface Decoded {
  top5?: ClassResult[];
  detections?: BoxResult[];
  mask?: MaskResult;
}

export interface PageDecodeContext {
  /** the detection format (CenterNet's peaks get class-wise NMS for display) */
  format?: string;
  /** class names of a native head (LR-ASPP's VOC labels) */
  maskLabels?: readonly string[];
}

/** detections at most drawn */
const MAX_BOXES = 50;

export function toPage(r: LibDecoded | undefined, ctx: PageDecodeContext = {}): Decoded {
  if (!r) return {};
  switch (r.kind) {
    case 'classification':
      return { top5: r.top5.map((c) => ({ index: c.index, label: c.label ?? `class ${c.index}`, score: c.score })) };
    case 'detection': {
      let dets = r.detections;
      if (ctx.format === 'centernet') {
        // CenterNet's peaks of one object often sit in neighbouring cells: class-wise NMS for display
        const ids = new Map<string, number>();
        const boxes = dets.map((d, anchor) => ({ ...d, anchor, classId: ids.get(d.label) ?? (ids.set(d.label, ids.size), ids.size - 1) }));
        dets = batchedNms(boxes, 0.5);
      }
      return { detections: dets.slice(0, MAX_BOXES).map((d) => ({ box: d.box, score: d.score, label: d.label })) };
    }
    case 'segmentation': {
      const m = maskBytes(r.mask);
      return { mask: { ...m, ...(m.kind === 'classes' && ctx.maskLabels ? { labels: ctx.maskLabels } : {}) } };
    }
    case 'features':
      throw new Error(`this model's output is a feature map (${r.outputs} outputs), not a result the page can draw`);
    default: {
      const never: never = r;
      throw new Error(`unknown result ${JSON.stringify(never)}`);
    }
  }
}
