/**
 * The head both fully convolutional masked networks share, h(z) = conv3×3(ReLU z) + bias + b, and the
 * kernel of its adjoint, which the DL-Net steps apply (masked-steps.ts): (∂h/∂z)ᵀ dx = [z > 0] ⊙
 * conv3×3(dx, K̃), K̃ being K flipped in space with input and output channels swapped (the transpose of
 * a stride-1 'same' convolution with an odd kernel).
 */
import { tf } from '../backend.js';
import { StepArena } from '../kernels/step-arena.js';

type K4 = tf.Tensor4D;

export class ConvHead {
  readonly adjointKernel: K4;
  /** The DL-Net steps' work arrays and their Adam step (masked-steps.ts), kept from call to call. */
  readonly work = new StepArena();

  constructor(
    readonly kernel: K4,
    readonly bias: tf.Tensor1D,
  ) {
    this.adjointKernel = tf.tidy(() => tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as K4);
  }

  h(z: K4, base: K4): K4 {
    return tf.tidy(() => tf.add(tf.add(tf.conv2d(tf.relu(z), this.kernel, 1, 'same'), this.bias), base) as K4);
  }

  dispose(): void {
    this.work.release();
    tf.dispose([this.kernel, this.bias, this.adjointKernel]);
  }
}
