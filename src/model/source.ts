/**
 * The model contract: what an importer or a model builder hands the runtime. It sits below
 * both (src/import, src/heads and src/runtime.ts import it; it imports only src/graph), so
 * no importer depends on the runtime.
 */
import type { Graph } from '../graph/ir.js';
import type { ResolvedVariant } from '../graph/variants.js';
import type { Preprocess } from './preprocess.js';
import type { QProgram } from '../graph/qprogram.js';

/** Something `Runtime.load` can turn into a model: a graph plus metadata. */
export interface ModelSource {
  readonly name: string;
  /** builds the graph (fresh weights each call) */
  graph(): Graph;
  /** trainable parameter count of the source model (before BN folding) */
  readonly params?: number;
  readonly variant?: ResolvedVariant;
  /** how an image becomes the input tensor (lets `model.run(image)` take images) */
  readonly preprocess?: Preprocess;
  /** what the outputs mean, for heads and the CLI */
  readonly task?: ModelTask;
  /**
   * a fully quantized file's integer program (TFLite uint8 / int8), for `LoadOptions.quantized:
   * 'int8'`; throws a ModelFormatError when the file has an op the int8 path lacks
   */
  quantProgram?(): QProgram;
}

/** What a model's output is, so post-processing and the CLI know how to decode it. */
export type ModelTask =
  | { kind: 'classification'; /** index of the first real class (1 when index 0 is background) */ labelOffset: number; softmax: boolean }
  | { kind: 'detection'; format: string }
  | { kind: 'segmentation'; format: string }
  | { kind: 'features' };
