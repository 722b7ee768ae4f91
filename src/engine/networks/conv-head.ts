/**
 * The head both fully convolutional masked networks share, h(z) = conv3×3(ReLU z) + bias + b, and the
 * kernel of its adjoint, which the DL-Net steps apply (masked-steps.ts): (∂h/∂z)ᵀ dx = [z > 0] ⊙
 * conv3×3(dx, K̃), K̃ being K flipped in space with input and output channels swapped (the transpose of
 * a stride-1 'same' convolution with an odd kernel).
 */
import { tf } from '../backend.js';
import { releaseBuffer } from '../release-buffer.js';

type K4 = tf.Tensor4D;

export class ConvHead {
  readonly adjointKernel: K4;
  #work?: ArrayBuffer;

  constructor(
    readonly kernel: K4,
    readonly bias: tf.Tensor1D,
  ) {
    this.adjointKernel = tf.tidy(() => tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as K4);
  }

  /** Channels of z. */
  get channels(): number {
    return this.kernel.shape[2];
  }

  h(z: K4, base: K4): K4 {
    return tf.tidy(() => tf.add(tf.add(tf.conv2d(tf.relu(z), this.kernel, 1, 'same'), this.bias), base) as K4);
  }

  /**
   * Zeroed work memory for the DL-Net steps (masked-steps.ts), kept from call to call: fresh memory of
   * that size (≈ 150 MB for a 512-px interpolation tile) is mapped anew for each call and page-faulted
   * in as it is first written, which costs as much as the steps' arithmetic (as in SrCompute).
   */
  workBuffer(bytes: number): ArrayBuffer {
    if (this.#work === undefined || this.#work.byteLength < bytes) {
      if (this.#work) releaseBuffer(this.#work);
      this.#work = new ArrayBuffer(bytes);
    } else new Uint8Array(this.#work, 0, bytes).fill(0);
    return this.#work;
  }

  dispose(): void {
    if (this.#work) releaseBuffer(this.#work);
    this.#work = undefined;
    tf.dispose([this.kernel, this.bias, this.adjointKernel]);
  }
}
