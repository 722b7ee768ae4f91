/**
 * The blur estimator (backbone "blur-estimator"), mirroring training/blur_estimator.py: from crops of a
 * low-resolution photo's luma (0..1), the log-probabilities of the blur that made them — class 0 bicubic
 * downscaling, class i ≥ 1 a Gaussian of std u = i·uStep — with one head per scale.
 *   x = (crop − mean) / (std + STD_FLOOR) per crop
 *   6 convs 3×3, ReLU (the 3rd and 5th with stride 2), mean over the map, the scale's linear head
 */
import { tf } from '../backend.js';
import type { BlurEstimatorBackbone, LoadedWeights } from '../model-file.js';

type K4 = tf.Tensor4D;

const STD_FLOOR = 0.01;
const STRIDES = [1, 1, 2, 1, 2, 1];
const PAD1: [[number, number], [number, number], [number, number], [number, number]] = [
  [0, 0],
  [1, 1],
  [1, 1],
  [0, 0],
];

export class BlurEstimator {
  /** u of class i ≥ 1 is i·uStep; class 0 is bicubic. */
  readonly uStep: number;
  readonly classes: number;
  private readonly convs: { kernel: K4; bias: tf.Tensor1D }[];
  private readonly heads: Map<number, { weight: tf.Tensor2D; bias: tf.Tensor1D }>;

  constructor(weights: LoadedWeights) {
    const b = weights.json.backbone as BlurEstimatorBackbone;
    this.uStep = b.uStep;
    this.classes = b.classes;
    const t = (name: string) => {
      const entry = weights.tensors.get(name);
      if (!entry) throw new Error(`blur estimator: tensor ${name} missing`);
      return entry;
    };
    this.convs = STRIDES.map((_, i) => ({
      kernel: tf.tensor4d(t(`c${i}.kernel`).data, t(`c${i}.kernel`).shape as [number, number, number, number]),
      bias: tf.tensor1d(t(`c${i}.bias`).data),
    }));
    this.heads = new Map(
      b.scales.map((s) => [
        s,
        {
          weight: tf.tensor2d(t(`head.x${s}.weight`).data, t(`head.x${s}.weight`).shape as [number, number]),
          bias: tf.tensor1d(t(`head.x${s}.bias`).data),
        },
      ]),
    );
  }

  /** Log-probabilities [crops × classes] for same-sized luma crops (row-major width × height each) of a photo to upscale ×scale. */
  logProbabilities(crops: readonly Float32Array[], width: number, height: number, scale: number): Float32Array[] {
    const head = this.heads.get(scale);
    if (!head) throw new Error(`blur estimator: no head for ×${scale}`);
    const logits = tf.tidy(() => {
      const stacked = tf.tensor4d(
        crops.reduce((all, c, i) => (all.set(c, i * width * height), all), new Float32Array(crops.length * width * height)),
        [crops.length, height, width, 1],
      );
      const mean = tf.mean(stacked, [1, 2, 3], true);
      const centred = tf.sub(stacked, mean);
      const std = tf.sqrt(tf.mean(tf.square(centred), [1, 2, 3], true));
      let a = tf.div(centred, tf.add(std, STD_FLOOR)) as K4;
      this.convs.forEach(({ kernel, bias }, i) => {
        a = tf.relu(tf.add(tf.conv2d(a, kernel, STRIDES[i] as 1 | 2, PAD1), bias)) as K4;
      });
      const pooled = tf.mean(a, [1, 2]) as tf.Tensor2D;
      return tf.logSoftmax(tf.add(tf.matMul(pooled, head.weight), head.bias));
    });
    const data = logits.dataSync() as Float32Array;
    logits.dispose();
    return crops.map((_, i) => data.slice(i * this.classes, (i + 1) * this.classes));
  }

  dispose(): void {
    for (const c of this.convs) tf.dispose([c.kernel, c.bias]);
    for (const h of this.heads.values()) tf.dispose([h.weight, h.bias]);
  }
}
