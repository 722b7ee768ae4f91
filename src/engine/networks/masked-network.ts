/**
 * What inpainting and interpolation need of a network: for a batch (y with missing pixels 0, M),
 * its last hidden map z = g(y, M) and the head h with x̂ = h(z), bound to that batch (a head may
 * close over the input, as the fully convolutional model's first guess).
 */
import type { tf } from '../backend.js';
import type { HeadProducts } from '../parallel/head-taps.js';
import type { ConvHead } from './conv-head.js';

/** z as NHWC values. */
export interface ZArray {
  data: Float32Array;
  shape: [number, number, number, number];
}

export interface BoundMaskedNetwork {
  /** Async where g runs on onnxruntime (fconv-masked-onnx.ts). */
  g(): tf.Tensor4D | Promise<tf.Tensor4D>;
  h(z: tf.Tensor4D): tf.Tensor4D;
  /** g() as a plain array, where g runs outside tfjs: in a buffer the network keeps, valid until its next call. */
  zArray?(): Promise<ZArray>;
  /**
   * Where h is a ConvHead over the first guess `base` (h(z) = conv(ReLU z) + bias + base): DL-Net's
   * steps then run in plain JS around its two convolutions (masked-steps.ts), which are onnxruntime's
   * matrix products where `products` resolves to them (else tfjs convs).
   */
  head?: { conv: ConvHead; base: tf.Tensor4D; products?: Promise<HeadProducts | undefined> };
  /** Frees what g and h close over. */
  release(): void;
}

export interface MaskedNetwork {
  /**
   * Set by networks that inpaint at the photo's own resolution (restore-holes.ts) instead of on 64×64
   * crops: the sides of their crops must be multiples of it.
   */
  readonly multiple?: number;
  /**
   * Pixels of the crops it was trained on (with `multiple`): at the photo's own resolution L is weighted
   * per that area, so DL-Net's gradients keep the scale they had in training whatever the crop size.
   */
  readonly trainingArea?: number;
  /**
   * How far (px) x̂_K at a pixel depends on the input after K DL-Net steps, for networks that work at the
   * photo's own resolution: tiles with this much context around their core give what the whole photo gives.
   */
  reach?(K: number): number;
  bind(y: tf.Tensor4D, mask: tf.Tensor4D): BoundMaskedNetwork;
  dispose(): void;
}
