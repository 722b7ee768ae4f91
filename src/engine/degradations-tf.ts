/**
 * The degradation operators W of DESIGN §3 as differentiable TensorFlow.js ops on NHWC tensors.
 * Only ops with gradients on every backend are used (see DESIGN §4): conv2d (strided for ↓t),
 * mirrorPad ('symmetric' = MATLAB's border), slice + concat (replicated border), mul.
 * Channels are folded into the batch so one single-channel kernel serves every channel.
 */
import { tf } from './backend.js';
import { bicubicDownTaps, gaussianTaps } from './degradations.js';

type T4 = tf.Tensor4D;

function channelsToBatch(x: T4): T4 {
  const [n, h, w, c] = x.shape;
  return c === 1 ? x : tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n * c, h, w, 1]);
}

function batchToChannels(x: T4, n: number, c: number): T4 {
  const [, h, w] = x.shape;
  return c === 1 ? x : tf.transpose(tf.reshape(x, [n, c, h, w]), [0, 2, 3, 1]);
}

function replicatePad(x: T4, pad: number, axis: 1 | 2): T4 {
  const size = x.shape[axis];
  const reps = [1, 1, 1, 1];
  reps[axis] = pad;
  const begin = [0, 0, 0, 0];
  const edge = [-1, -1, -1, -1];
  edge[axis] = 1;
  const first = tf.tile(tf.slice(x, begin, edge), reps);
  begin[axis] = size - 1;
  const last = tf.tile(tf.slice(x, begin, edge), reps);
  return tf.concat([first, x, last], axis);
}

function separable(x: T4, weights: number[], stride: number): T4 {
  const n = weights.length;
  const kh = tf.tensor4d(weights, [n, 1, 1, 1]);
  const kw = tf.tensor4d(weights, [1, n, 1, 1]);
  const rows = tf.conv2d(x, kh, [stride, 1], 'valid');
  return tf.conv2d(rows, kw, [1, stride], 'valid');
}

/** Bicubic imresize(x, 1/t) with MATLAB's symmetric border; H and W must be multiples of t. */
export function bicubicDownscaleTf(x: T4, t: number): T4 {
  return tf.tidy(() => {
    const [n, , , c] = x.shape;
    const { first, weights } = bicubicDownTaps(t);
    const left = -first;
    const right = first + weights.length - t;
    const padded = tf.mirrorPad(channelsToBatch(x), [[0, 0], [left, right], [left, right], [0, 0]], 'symmetric');
    return batchToChannels(separable(padded, weights, t), n, c);
  });
}

/** (k_u ∗ x)↓t with replicated borders, keeping pixels (t·i, t·j). */
export function gaussianDownscaleTf(x: T4, t: number, u: number): T4 {
  return tf.tidy(() => {
    const [n, , , c] = x.shape;
    const padded = replicatePad(replicatePad(channelsToBatch(x), 7, 1), 7, 2);
    return batchToChannels(separable(padded, gaussianTaps(u), t), n, c);
  });
}

/** The linear SR operator W: bicubic for u = 0, Gaussian + ↓t otherwise. */
export function srOperatorTf(x: T4, t: number, u: number): T4 {
  return u === 0 ? bicubicDownscaleTf(x, t) : gaussianDownscaleTf(x, t, u);
}
