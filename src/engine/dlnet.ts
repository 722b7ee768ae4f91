/**
 * The DL-Net module (docs/protocols.md §2), generic over (g, h, W):
 *
 *   z_1 = g(y);  for k = 1..K:  x̂_k = h(z_k);  stream (k, x̂_k, L(z_k));  Adam step on z
 *   L(z) = ½ · Σ_observed (W h(z) − y)² / normalizer
 *
 * g runs once; each step re-runs only h, W and their adjoints (automatic differentiation, or the
 * problem's hand-written adjoints).
 * `normalizer` is the count of observed entries of the WHOLE image, so a tile of a large image
 * takes exactly the gradient the untiled run would (the mean's 1/N is global, not per tile).
 */
import { tf } from './backend.js';

export interface DLNetSettings {
  K: number;
  gamma: number;
  beta1: number;
  beta2: number;
}

export const DLNET_DEFAULTS = { K: 5, beta1: 0.9, beta2: 0.999 } as const;

export interface DLNetProblem {
  /** z_1 = g(y). Called once; the module owns (and disposes) the result. Async where g runs on onnxruntime. */
  g(): tf.Tensor | Promise<tf.Tensor>;
  /** x̂ = h(z). */
  h(z: tf.Tensor): tf.Tensor;
  /** The degradation operator W. */
  W(x: tf.Tensor): tf.Tensor;
  /** The observation y (same shape as W's output). */
  y: tf.Tensor;
  /** 1 = observed entry, 0 = missing; broadcastable to y. Absent: every entry is observed. */
  observed?: tf.Tensor;
  /** Count of observed entries that the mean in L divides by. Default: the count in y. */
  normalizer?: number;
  /** Weights (broadcastable to y) of the entries counted in the reported L; default all. */
  reportWeights?: tf.Tensor;
}

export interface DLNetStep {
  k: number;
  K: number;
  /** x̂_k; the caller owns it and must dispose it. */
  image: tf.Tensor;
  /** L(z_k), as a number. */
  likelihood: number;
}

/** What the compute loops poll between steps: an AbortSignal, or a flag in shared memory (parallel/cancel-flag.ts). */
export type CancelCheck = Pick<AbortSignal, 'aborted'>;

export class CancelledError extends Error {
  constructor() {
    super('The restoration was cancelled.');
    this.name = 'CancelledError';
  }
}

function residual(problem: DLNetProblem, xhat: tf.Tensor): tf.Tensor {
  const r = tf.sub(problem.W(xhat), problem.y);
  return problem.observed ? tf.mul(r, problem.observed) : r;
}

function countObserved(problem: DLNetProblem): number {
  if (problem.normalizer !== undefined) return problem.normalizer;
  if (!problem.observed) return problem.y.size;
  return tf.tidy(() => tf.sum(tf.mul(tf.onesLike(problem.y), problem.observed!)).dataSync()[0]);
}

function reported(problem: DLNetProblem, r: tf.Tensor, normalizer: number): tf.Scalar {
  const sq = tf.square(r);
  const weighted = problem.reportWeights ? tf.mul(sq, problem.reportWeights) : sq;
  return tf.div(tf.mul(tf.sum(weighted), 0.5), normalizer) as tf.Scalar;
}

/**
 * Runs the K steps, yielding each x̂_k as soon as it is computed. Checks `signal` between steps
 * and throws CancelledError when it is aborted; every intermediate tensor is disposed either way.
 */
export async function* runDLNet(problem: DLNetProblem, settings: DLNetSettings, signal?: CancelCheck): AsyncGenerator<DLNetStep> {
  const { K, gamma, beta1, beta2 } = settings;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`K must be an integer ≥ 1, not ${K}.`);
  const normalizer = countObserved(problem);
  let z = await problem.g();
  let m: tf.Tensor | null = null;
  let v: tf.Tensor | null = null;
  try {
    for (let k = 1; k <= K; k++) {
      // Yield to the event loop so an abort (Ctrl+C, a Cancel message) can land between steps.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) throw new CancelledError();
      let xhat: tf.Tensor | null = null;
      let loss: tf.Scalar;
      let grad: tf.Tensor | null = null;
      if (k < K) {
        const f = (zk: tf.Tensor) => {
          const x = problem.h(zk);
          xhat = tf.keep(x);
          const r = residual(problem, x);
          return tf.div(tf.mul(tf.sum(tf.square(r)), 0.5), normalizer) as tf.Scalar;
        };
        const out = tf.valueAndGrad(f)(z);
        grad = out.grad;
        out.value.dispose();
        loss = tf.tidy(() => reported(problem, residual(problem, xhat!), normalizer));
      } else {
        xhat = problem.h(z);
        loss = tf.tidy(() => reported(problem, residual(problem, xhat!), normalizer));
      }
      const likelihood = (await loss.data())[0];
      loss.dispose();
      if (grad) {
        const g = grad;
        const [m1, v1, z1] = tf.tidy(() => {
          const mk = m ? tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)) : tf.mul(g, 1 - beta1);
          const vk = v ? tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)) : tf.mul(tf.square(g), 1 - beta2);
          const mhat = tf.div(mk, 1 - beta1 ** k);
          const vhat = tf.div(vk, 1 - beta2 ** k);
          const step = tf.div(mhat, tf.sqrt(tf.maximum(vhat, 1e-16)));
          return [mk, vk, tf.sub(z, tf.mul(step, gamma))];
        });
        g.dispose();
        m?.dispose();
        v?.dispose();
        z.dispose();
        [m, v, z] = [m1, v1, z1];
      }
      yield { k, K, image: xhat!, likelihood };
    }
  } finally {
    z.dispose();
    m?.dispose();
    v?.dispose();
  }
}
