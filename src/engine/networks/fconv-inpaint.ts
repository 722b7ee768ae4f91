/**
 * The fully convolutional inpainting network (backbone "fconv-inpaint"), mirroring
 * training/fconv_inpaint.py. It works at the photo's own resolution on crops whose sides are
 * multiples of MULTIPLE (restore-holes.ts pads them):
 *   b = approximate membrane fill of y, coarse to fine (reaches into holes of any size)
 *   g: [y, M, b] → e0 (full) → e1 stride 2 (1/2) → e2 stride 2 (1/4) → 4 dilated convs (2, 4, 8, 16)
 *      → nearest ×2 + skip e1 → conv (1/2) → nearest ×2 + skip e0 → conv → z (no activation)
 *   h: ReLU(z) → conv3×3 to 3 channels → + b
 * Tensors are NHWC on the [−1, 1] scale; y has missing pixels set to 0; M is 1 where observed.
 */
import { tf } from '../backend.js';
import { UserError } from '../image.js';
import type { FConvInpaintBackbone, LoadedWeights } from '../model-file.js';
import { ConvHead } from './conv-head.js';
import type { BoundMaskedNetwork, MaskedNetwork } from './masked-network.js';

type K4 = tf.Tensor4D;

/** Pyramid levels of the first guess; crop sides must be multiples of 2^LEVELS. */
const LEVELS = 5;
export const MULTIPLE = 2 ** LEVELS;
const DILATIONS = [2, 4, 8, 16];
const PAD1: [[number, number], [number, number], [number, number], [number, number]] = [
  [0, 0],
  [1, 1],
  [1, 1],
  [0, 0],
];

/** Jacobi sweeps per pyramid level of the first guess, where model.json does not say. */
const SWEEPS = 20;

/**
 * `sweeps` Jacobi sweeps of b ← v + (1 − w)·(mean of the 4 neighbours), edges replicated: cells keep
 * their known share and take the rest from their neighbours (at full resolution, the membrane equation).
 */
function smooth(b: K4, v: K4, w: K4, neighbours: K4, sweeps: number): K4 {
  const free = tf.sub(1, w);
  for (let i = 0; i < sweeps; i++) {
    const padded = tf.mirrorPad(b, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ], 'symmetric');
    b = tf.add(v, tf.mul(free, tf.depthwiseConv2d(padded, neighbours, 1, 'valid'))) as K4;
  }
  return b;
}

/**
 * First guess: an approximate membrane (harmonic) fill, coarse to fine. Pyramid of 2×2 averages v of
 * y·M and w of M; each level starts from b_l = v_l + (1 − w_l)·up(b_{l+1}) (below the coarsest level
 * stands the mean of all known pixels) and is smoothed (see smooth).
 */
export function membraneFill(y: K4, mask: K4, sweeps = SWEEPS): K4 {
  return tf.tidy(() => {
    const channels = y.shape[3];
    const ring = [0, 0.25, 0, 0.25, 0, 0.25, 0, 0.25, 0];
    const neighbours = tf.tensor4d(
      ring.flatMap((v) => Array<number>(channels).fill(v)),
      [3, 3, channels, 1],
    );
    const pyramid: [K4, K4][] = [[tf.mul(y, mask) as K4, mask]];
    for (let l = 0; l < LEVELS; l++) {
      const [v, w] = pyramid[l];
      pyramid.push([tf.avgPool(v, 2, 2, 'valid'), tf.avgPool(w, 2, 2, 'valid')]);
    }
    const known = tf.maximum(tf.sum(mask, [1, 2], true), 1);
    let b = tf.div(tf.sum(pyramid[0][0], [1, 2], true), known) as K4;
    const [vTop, wTop] = pyramid[LEVELS];
    b = smooth(tf.add(vTop, tf.mul(tf.sub(1, wTop), b)) as K4, vTop, wTop, neighbours, sweeps);
    for (let l = LEVELS - 1; l >= 0; l--) {
      const [v, w] = pyramid[l];
      const up = tf.image.resizeBilinear(b, [v.shape[1], v.shape[2]], false, true);
      b = smooth(tf.add(v, tf.mul(tf.sub(1, w), up)) as K4, v, w, neighbours, sweeps);
    }
    return b;
  });
}

export class FConvInpaintNet implements MaskedNetwork {
  private readonly tensors = new Map<string, tf.Tensor>();
  /** Crops must have sides that are multiples of this. */
  readonly multiple = MULTIPLE;
  /** Trained on 128×128 scene crops (and 64×64 faces). */
  readonly trainingArea = 128 * 128;

  private readonly head: ConvHead;
  private readonly sweeps: number;

  constructor(weights: LoadedWeights) {
    const sweeps = (weights.json.backbone as FConvInpaintBackbone).sweeps ?? SWEEPS;
    if (!Number.isInteger(sweeps) || sweeps < 0 || sweeps > 1000)
      throw new UserError(`The model in ${weights.dir} cannot be used: backbone.sweeps must be a whole number from 0 to 1000.`, 'bad-model');
    this.sweeps = sweeps;
    for (const [name, { shape, data }] of weights.tensors) this.tensors.set(name, tf.tensor(data, shape));
    this.head = new ConvHead(this.tensors.get('out.kernel') as K4, this.tensors.get('out.bias') as tf.Tensor1D);
  }

  private conv(x: K4, name: string, relu: boolean, options: { stride?: number; dilation?: number } = {}): K4 {
    const { stride = 1, dilation = 1 } = options;
    return tf.fused.conv2d({
      x,
      filter: this.tensors.get(`${name}.kernel`) as K4,
      strides: stride,
      pad: stride === 1 ? 'same' : PAD1,
      dilations: dilation,
      bias: this.tensors.get(`${name}.bias`),
      activation: relu ? 'relu' : 'linear',
    });
  }

  private upsampleNearest(a: K4): K4 {
    return tf.image.resizeNearestNeighbor(a, [2 * a.shape[1], 2 * a.shape[2]], false, false);
  }

  g(y: K4, mask: K4, base: K4): K4 {
    return tf.tidy(() => {
      const s0 = this.conv(tf.concat([y, mask, base], 3) as K4, 'e0', true);
      const s1 = this.conv(s0, 'e1', true, { stride: 2 });
      let a = this.conv(s1, 'e2', true, { stride: 2 });
      DILATIONS.forEach((dilation, i) => {
        a = this.conv(a, `mid.${i}`, true, { dilation });
      });
      a = this.conv(tf.concat([this.upsampleNearest(a), s1], 3) as K4, 'u1', true);
      return this.conv(tf.concat([this.upsampleNearest(a), s0], 3) as K4, 'u0', false);
    });
  }

  /** h(z) = conv(ReLU z) + b; differentiable in z. */
  h(z: K4, base: K4): K4 {
    return this.head.h(z, base);
  }

  bind(y: K4, mask: K4): BoundMaskedNetwork {
    const [, height, width] = y.shape;
    if (height % MULTIPLE !== 0 || width % MULTIPLE !== 0)
      throw new Error(`fconv-inpaint needs crop sides that are multiples of ${MULTIPLE} (got ${width}×${height}).`);
    const base = membraneFill(y, mask, this.sweeps);
    return {
      g: () => this.g(y, mask, base),
      h: (z) => this.h(z, base),
      head: { conv: this.head, base },
      release: () => base.dispose(),
    };
  }

  dispose(): void {
    this.head.dispose(); // the head's kernel and bias are among the tensors
    for (const t of this.tensors.values()) if (!t.isDisposed) t.dispose();
  }
}
