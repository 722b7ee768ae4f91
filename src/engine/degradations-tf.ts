/**
 * The degradation operators W (docs/protocols.md §1) as differentiable TensorFlow.js ops on NHWC tensors.
 * Only ops with correct gradients on every backend are used (see docs/protocols.md §2): conv2d (strided for
 * ↓t), slice + concat for both borders, mul. Not mirrorPad: tfjs 4.22's MirrorPad gradient just
 * slices dy and drops the reflected contributions (the adjoint test in tests/unit catches it).
 * Channels are folded into the batch so one single-channel kernel serves every channel.
 */
import { tf } from './backend.js';
import { bicubicDownTaps, clampIndex, gaussianTaps, mirrorIndex } from './degradations.js';

type T4 = tf.Tensor4D;

function channelsToBatch(x: T4): T4 {
  const [n, h, w, c] = x.shape;
  return c === 1 ? x : tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n * c, h, w, 1]);
}

function batchToChannels(x: T4, n: number, c: number): T4 {
  const [, h, w] = x.shape;
  return c === 1 ? x : tf.transpose(tf.reshape(x, [n, c, h, w]), [0, 2, 3, 1]);
}

/**
 * Pads along one axis from one-pixel slices: `map` says which pixel fills each outside position —
 * mirrorIndex for MATLAB's symmetric border (…, x1, x0 | x0, x1, …), clampIndex to replicate the edge.
 * (tf.tile's gradient is also unreliable here, so no tile either.)
 */
function borderPad(x: T4, left: number, right: number, axis: 1 | 2, map: (j: number, n: number) => number): T4 {
  const size = x.shape[axis];
  const slab = (j: number) => {
    const begin = [0, 0, 0, 0];
    const extent = [-1, -1, -1, -1];
    begin[axis] = map(j, size);
    extent[axis] = 1;
    return tf.slice(x, begin, extent);
  };
  const parts: T4[] = [];
  for (let j = -left; j < 0; j++) parts.push(slab(j));
  parts.push(x);
  for (let j = size; j < size + right; j++) parts.push(slab(j));
  return tf.concat(parts, axis);
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
    const padded = borderPad(borderPad(channelsToBatch(x), left, right, 1, mirrorIndex), left, right, 2, mirrorIndex);
    return batchToChannels(separable(padded, weights, t), n, c);
  });
}

/** (k_u ∗ x)↓t with replicated borders, keeping pixels (t·i, t·j). */
export function gaussianDownscaleTf(x: T4, t: number, u: number): T4 {
  return tf.tidy(() => {
    const [n, , , c] = x.shape;
    const padded = borderPad(borderPad(channelsToBatch(x), 7, 7, 1, clampIndex), 7, 7, 2, clampIndex);
    return batchToChannels(separable(padded, gaussianTaps(u), t), n, c);
  });
}

/** The linear SR operator W: bicubic for u = 0, Gaussian + ↓t otherwise. */
export function srOperatorTf(x: T4, t: number, u: number): T4 {
  return u === 0 ? bicubicDownscaleTf(x, t) : gaussianDownscaleTf(x, t, u);
}
