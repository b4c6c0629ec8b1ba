import { type Graph } from '../ir.js';
import { validate } from '../shapes.js';
import { foldBatchNorm } from './fold_batch_norm.js';
import { fuseActivations } from './fuse_activations.js';
import { fuseSqueezeExcite } from './fuse_squeeze_excite.js';
import { fuseResidual } from './fuse_residual.js';
import { canonicalize, binaryToCanonical, foldPad, foldAffine, removeDeadConstants } from './canonicalize.js';

export { foldBatchNorm, fuseActivations, fuseSqueezeExcite, fuseResidual };
export { canonicalize, binaryToCanonical, foldPad, foldAffine, removeDeadConstants };

export interface PassOptions {
  /** false: fold BatchNorm only, every other op keeps its own dispatch (tests, benchmark) */
  fuse?: boolean;
}

/**
 * The pass pipeline; pure Graph -> Graph, the result is validated. canonicalize (importer ops
 * -> the kernels' forms, constant folding into convs) runs first, also with fuse: false, like
 * the BatchNorm fold: both are weight folding, not kernel fusion.
 */
export function optimize(g: Graph, opts: PassOptions = {}): Graph {
  let r = foldBatchNorm(canonicalize(g));
  if (opts.fuse !== false) {
    r = fuseActivations(r);
    r = fuseSqueezeExcite(r);
    r = fuseResidual(r);
  }
  validate(r);
  return r;
}
