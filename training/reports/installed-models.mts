/**
 * What the report scripts need to know of the installed models (from their model.json; no weights loaded):
 * the sha256 of the weights, which says whether a result measured earlier still holds, and the blur
 * estimator's u grid.
 */
import { readModelJson, type BlurEstimatorBackbone } from '../../src/engine/model-file.js';
import { findModel } from '../../src/engine/models.js';

/** sha256 of the installed blur estimator's weights. */
export async function blurEstimatorSha(): Promise<string> {
  return (await readModelJson((await findModel('blur')).dir)).weights.sha256;
}

/** The installed blur estimator's grid step: class i ≥ 1 is the Gaussian u = i·uStep. */
export async function blurEstimatorUStep(): Promise<number> {
  return ((await readModelJson((await findModel('blur')).dir)).backbone as BlurEstimatorBackbone).uStep;
}

/** sha256 of the installed ×2, ×3 and ×4 SR models' weights, by scale. */
export async function srModelShas(): Promise<Record<2 | 3 | 4, string>> {
  const sha = async (t: 2 | 3 | 4) => (await readModelJson((await findModel('sr', t)).dir)).weights.sha256;
  const [x2, x3, x4] = await Promise.all([sha(2), sha(3), sha(4)]);
  return { 2: x2, 3: x3, 4: x4 };
}
