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
import { membraneFillImage } from './membrane-fill.js';
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
 * First guess: the membrane fill of membrane-fill.ts for each image of the batch (y: n × h × w × c,
 * mask: n × h × w × 1).
 */
export function membraneFill(y: K4, mask: K4, sweeps = SWEEPS): K4 {
  const [n, height, width, channels] = y.shape;
  const yData = y.dataSync() as Float32Array;
  const maskData = mask.dataSync() as Float32Array;
  const out = new Float32Array(yData.length);
  const pixels = height * width;
  for (let i = 0; i < n; i++) {
    const image = membraneFillImage(
      yData.subarray(i * pixels * channels, (i + 1) * pixels * channels),
      maskData.subarray(i * pixels, (i + 1) * pixels),
      { height, width, channels },
      LEVELS,
      sweeps,
    );
    out.set(image, i * pixels * channels);
  }
  return tf.tensor4d(out, [n, height, width, channels]);
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
