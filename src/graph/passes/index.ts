import { type Graph, validate } from '../ir.js';
import { foldBatchNorm } from './fold_batch_norm.js';
import { fuseActivations } from './fuse_activations.js';
import { fuseSqueezeExcite } from './fuse_squeeze_excite.js';
import { fuseResidual } from './fuse_residual.js';

export { foldBatchNorm, fuseActivations, fuseSqueezeExcite, fuseResidual };

export interface PassOptions {
  /** false: fold BatchNorm only, every other op keeps its own dispatch (tests, benchmark) */
  fuse?: boolean;
}

/** The pass pipeline; pure Graph -> Graph, the result is validated. */
export function optimize(g: Graph, opts: PassOptions = {}): Graph {
  let r = foldBatchNorm(g);
  if (opts.fuse !== false) {
    r = fuseActivations(r);
    r = fuseSqueezeExcite(r);
    r = fuseResidual(r);
  }
  validate(r);
  return r;
}
