/**
 * MobileNetV3 variants as data (paper Tables 1 and 2, spec sections 2-5): the block tables,
 * the options and their resolution into per-block channels, kernels and activations.
 * mobilenetv3_graph.ts turns a resolved variant into an IR graph.
 */
import type { Act } from '../kernels/spec.js';

/** One bneck row: kernel, TF-slim expansion factor, paper exp size, out, SE, NL, stride. */
export interface BneckRow {
  readonly k: number;
  readonly expFactor: number;
  readonly exp: number;
  readonly out: number;
  readonly se: boolean;
  readonly nl: 'RE' | 'HS';
  readonly stride: number;
}

const row = (k: number, expFactor: number, exp: number, out: number, se: boolean, nl: 'RE' | 'HS', stride: number): BneckRow =>
  Object.freeze({ k, expFactor, exp, out, se, nl, stride });

/** Paper Table 1 (expansion factors from TF-slim V3_LARGE). */
export const LARGE_BLOCKS: readonly BneckRow[] = Object.freeze([
  row(3, 1, 16, 16, false, 'RE', 1),
  row(3, 4, 64, 24, false, 'RE', 2),
  row(3, 3, 72, 24, false, 'RE', 1),
  row(5, 3, 72, 40, true, 'RE', 2),
  row(5, 3, 120, 40, true, 'RE', 1),
  row(5, 3, 120, 40, true, 'RE', 1),
  row(3, 6, 240, 80, false, 'HS', 2),
  row(3, 2.5, 200, 80, false, 'HS', 1),
  row(3, 184 / 80, 184, 80, false, 'HS', 1),
  row(3, 184 / 80, 184, 80, false, 'HS', 1),
  row(3, 6, 480, 112, true, 'HS', 1),
  row(3, 6, 672, 112, true, 'HS', 1),
  row(5, 6, 672, 160, true, 'HS', 2),
  row(5, 6, 960, 160, true, 'HS', 1),
  row(5, 6, 960, 160, true, 'HS', 1),
]);

/** Paper Table 2 as implemented everywhere (head 1024, no SE on the last conv; spec D1, D2). */
export const SMALL_BLOCKS: readonly BneckRow[] = Object.freeze([
  row(3, 1, 16, 16, true, 'RE', 2),
  row(3, 72 / 16, 72, 24, false, 'RE', 2),
  row(3, 88 / 24, 88, 24, false, 'RE', 1),
  row(5, 4, 96, 40, true, 'HS', 2),
  row(5, 6, 240, 40, true, 'HS', 1),
  row(5, 6, 240, 40, true, 'HS', 1),
  row(5, 3, 120, 48, true, 'HS', 1),
  row(5, 3, 144, 48, true, 'HS', 1),
  row(5, 6, 288, 96, true, 'HS', 2),
  row(5, 6, 576, 96, true, 'HS', 1),
  row(5, 6, 576, 96, true, 'HS', 1),
]);

export const VARIANT_TABLES = {
  large: { blocks: LARGE_BLOCKS, stem: 16, lastConv: 960, head: 1280 },
  small: { blocks: SMALL_BLOCKS, stem: 16, lastConv: 576, head: 1024 },
} as const;

export type ModelSize = keyof typeof VARIANT_TABLES;

/** Spec 1.1: nearest multiple of 8 (halves up), at least 8, never below 90% of v. */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  let n = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

export interface MobileNetV3Options {
  size: ModelSize;
  /** width multiplier alpha (default 1.0) */
  width?: number;
  /** 'tf' (paper / TF-slim / Keras / timm, default) or 'torchvision' channel rules (spec 5.1) */
  widthSemantics?: 'tf' | 'torchvision';
  minimalistic?: boolean;
  /** square size or [height, width]; multiples of 8 from 96 (default 224) */
  resolution?: number | readonly [number, number];
  /** number of classes (default 1000) */
  classes?: number;
  /** seed of the random weights (default 0) */
  seed?: number;
  /**
   * Halve the last stage (spec 7.2, 8.2, 10 D7(b)): bnecks 13-15 (Small 9-11) output half the
   * channels and the last conv is 6x that. `true` / 'torchvision': torchvision `reduced_tail`
   * (= TF OD `V3_*_DETECTION`): the first block of the stage keeps its expansion (672 / 288),
   * the next ones get 480 / 288, and (torchvision semantics) the classifier's hidden layer is
   * halved too. 'deeplab': the paper's RF2 as DeepLab implements it, which also halves that
   * first expansion (336 / 144). Default false.
   */
  reducedTail?: boolean | 'torchvision' | 'deeplab';
  /**
   * Output stride 16 for dense prediction (spec 7.2, 7.3, 10 D7(f)). `true` / 'torchvision':
   * dilation 2 and stride 1 on all three last bnecks, padding (k-1)/2*2. 'tf': TF-slim's
   * output_stride logic: the formerly strided block gets stride 1 and rate 1, the next ones
   * rate 2. Default false (output stride 32).
   */
  dilated?: boolean | 'torchvision' | 'tf';
  /** false: no pool/classifier; the main output is the last conv's feature map (default true) */
  classifier?: boolean;
  /** extra graph outputs after the main one, named after the tap (see FEATURE_TAPS) */
  taps?: readonly FeatureTap[];
}

/**
 * Named backbone features for dense heads:
 * - C4: expansion output (after its activation) of the block that reaches output stride 16
 *   (bneck 13 Large / 9 Small): SSDLite's first map (paper 6.3, spec 8.2);
 * - C5: the last conv's output (the layer before pooling);
 * - low: torchvision LR-ASPP's low-level feature, the output of the block at
 *   stage_indices[-4] (features[4], 40 ch, Large; features[2], 24 ch, Small), at 1/8;
 * - low_dw: DeepLab's low-level feature: the depthwise output (after BN and activation, before
 *   SE) of the last 1/8 block (bneck 6, 120 ch, Large; bneck 3, 88 ch, Small).
 */
export const FEATURE_TAPS = ['C4', 'C5', 'low', 'low_dw'] as const;
export type FeatureTap = (typeof FEATURE_TAPS)[number];

export interface ResolvedBlock {
  index: number; // torchvision features index
  inC: number;
  exp: number;
  out: number;
  k: number;
  stride: number;
  se: boolean;
  squeeze: number;
  act: Act;
  residual: boolean;
  /** depthwise dilation (1 unless `dilated`) */
  dilation: number;
}

export interface ResolvedVariant {
  options: Required<Omit<MobileNetV3Options, 'resolution' | 'reducedTail' | 'dilated' | 'classifier' | 'taps'>> & {
    resolution: [number, number];
    reducedTail: false | 'torchvision' | 'deeplab';
    dilated: false | 'torchvision' | 'tf';
    classifier: boolean;
    taps: FeatureTap[];
  };
  stem: number;
  stemAct: Act;
  blocks: ResolvedBlock[];
  lastConv: number;
  head: number;
  headAct: Act;
  name: string;
}

export class OptionError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`invalid option '${option}': ${message}`);
    this.name = 'OptionError';
  }
}

function resolveResolution(r: MobileNetV3Options['resolution']): [number, number] {
  const hw: [number, number] = r === undefined ? [224, 224] : typeof r === 'number' ? [r, r] : [r[0], r[1]];
  for (const v of hw) {
    if (!Number.isInteger(v) || v < 96 || v % 8 !== 0 || v > 4096) {
      throw new OptionError('resolution', `${JSON.stringify(r)}: each side must be a multiple of 8 between 96 and 4096`);
    }
  }
  return hw;
}

/** Applies the width rules of spec section 5 to the paper tables. */
export function resolveVariant(o: MobileNetV3Options): ResolvedVariant {
  if (!(o.size in VARIANT_TABLES)) throw new OptionError('size', `'${String(o.size)}' (expected 'large' or 'small')`);
  const width = o.width ?? 1.0;
  if (typeof width !== 'number' || !Number.isFinite(width) || width <= 0 || width > 4) {
    throw new OptionError('width', `${String(width)} (expected a number in (0, 4], e.g. 0.35, 0.5, 0.75, 1.0, 1.25)`);
  }
  const sem = o.widthSemantics ?? 'tf';
  if (sem !== 'tf' && sem !== 'torchvision') throw new OptionError('widthSemantics', `'${String(sem)}' (expected 'tf' or 'torchvision')`);
  const classes = o.classes ?? 1000;
  if (!Number.isInteger(classes) || classes < 1 || classes > 100000) throw new OptionError('classes', `${String(classes)} (expected an integer >= 1)`);
  const minimal = !!o.minimalistic;
  const resolution = resolveResolution(o.resolution);
  const seed = o.seed ?? 0;
  const reducedTail = o.reducedTail === undefined || o.reducedTail === false ? false : o.reducedTail === true ? 'torchvision' : o.reducedTail;
  if (reducedTail !== false && reducedTail !== 'torchvision' && reducedTail !== 'deeplab') {
    throw new OptionError('reducedTail', `${JSON.stringify(o.reducedTail)} (expected a boolean, 'torchvision' or 'deeplab')`);
  }
  const dilated = o.dilated === undefined || o.dilated === false ? false : o.dilated === true ? 'torchvision' : o.dilated;
  if (dilated !== false && dilated !== 'torchvision' && dilated !== 'tf') {
    throw new OptionError('dilated', `${JSON.stringify(o.dilated)} (expected a boolean, 'torchvision' or 'tf')`);
  }
  const classifier = o.classifier ?? true;
  if (typeof classifier !== 'boolean') throw new OptionError('classifier', `${JSON.stringify(o.classifier)} (expected a boolean)`);
  const taps = [...(o.taps ?? [])];
  for (const t of taps) if (!(FEATURE_TAPS as readonly string[]).includes(t)) throw new OptionError('taps', `${JSON.stringify(t)} (expected one of ${FEATURE_TAPS.join(', ')})`);
  const table = VARIANT_TABLES[o.size];
  const nl = (x: 'RE' | 'HS'): Act => (minimal || x === 'RE' ? 'relu' : 'hswish');
  const stem = makeDivisible(table.stem * width);
  // the last stage: from the last stride-2 block to the end (bnecks 13-15 Large, 9-11 Small)
  const lastStage = table.blocks.length - 3;
  let inC = stem;
  let rate = 1;
  const blocks: ResolvedBlock[] = table.blocks.map((b, i) => {
    const inTail = i >= lastStage;
    const div = reducedTail && inTail ? 2 : 1;
    // DeepLab RF2 also halves the expansion of the stage's first block (spec 7.2)
    const expDiv = reducedTail === 'deeplab' && i === lastStage ? 2 : 1;
    const out = makeDivisible((b.out / div) * width);
    let exp: number;
    if (sem === 'tf') exp = makeDivisible(inC * (b.expFactor / expDiv));
    else exp = makeDivisible((i === lastStage ? b.exp / expDiv : b.exp / div) * width);
    const se = b.se && !minimal;
    let stride = b.stride;
    let dilation = 1;
    if (dilated && inTail) {
      stride = 1;
      if (dilated === 'torchvision') dilation = 2;
      else {
        dilation = rate;
        rate *= b.stride;
      }
    }
    const blk: ResolvedBlock = {
      index: i + 1,
      inC,
      exp,
      out,
      k: minimal ? 3 : b.k,
      stride,
      se,
      squeeze: se ? makeDivisible(exp / 4) : 0,
      act: nl(b.nl),
      residual: b.stride === 1 && inC === out,
      dilation,
    };
    inC = out;
    return blk;
  });
  const lastConv = sem === 'tf' ? makeDivisible((table.lastConv / (reducedTail ? 2 : 1)) * width) : 6 * inC;
  // TF-slim finegrain_classification_mode (the paper's Table 9 Large rows): head unscaled.
  // torchvision's reduced_tail halves the head too (`last_channel = adjust_channels(1280 // 2)`).
  const head = sem === 'tf' ? table.head : makeDivisible((table.head / (reducedTail ? 2 : 1)) * width);
  const suffix =
    (reducedTail === 'torchvision' ? '_rt' : reducedTail === 'deeplab' ? '_rf2' : '') +
    (dilated === 'torchvision' ? '_os16' : dilated === 'tf' ? '_os16tf' : '') +
    (classifier ? '' : '_features');
  const name = `mobilenet_v3_${o.size}${minimal ? '_minimalistic' : ''}_${width}${sem === 'torchvision' ? '_tv' : ''}${suffix}_${resolution[0]}x${resolution[1]}`;
  return {
    options: { size: o.size, width, widthSemantics: sem, minimalistic: minimal, resolution, classes, seed, reducedTail, dilated, classifier, taps },
    stem,
    stemAct: minimal ? 'relu' : 'hswish',
    blocks,
    lastConv,
    head,
    headAct: minimal ? 'relu' : 'hswish',
    name,
  };
}
