/**
 * g of the LR-level super-resolution backbones (DESIGN §5), shared by SrNet (the autodiff route the
 * parity tests use) and SrCompute (the band engine):
 *   vdsr-lr: [y, maps] → depth × conv3×3 (ReLU between) → z
 *   drrn-lr: [y, maps] → entry conv3×3 = H0; H_u = H0 + B(lrelu(A(lrelu(H_{u−1})))) for u = 1..U with A, B
 *            shared (leaky ReLU 0.05); z = conv1×1([H_f, H_2f, …]) (f = fuseEvery)
 * Tensors are NHWC.
 */
import { tf } from '../backend.js';
import { CancelledError, type CancelCheck } from '../dlnet.js';
import type { DrrnBackbone, SrBackbone } from '../model-file.js';

export type SrGBackbone = SrBackbone | DrrnBackbone;

/** g's kernels and biases in file order (gTensorNames). */
export interface SrGTensors {
  kernels: tf.Tensor4D[];
  biases: tf.Tensor1D[];
}

export function gTensorNames(b: SrGBackbone): string[] {
  return b.type === 'vdsr-lr' ? Array.from({ length: b.depth }, (_, i) => `g.${i}`) : ['g.entry', 'g.unitA', 'g.unitB', 'g.fuse'];
}

/** Receptive-field radius of g in LR pixels (one per 3×3 conv on the path). */
export function gRadius(b: SrGBackbone): number {
  return b.type === 'vdsr-lr' ? b.depth : 1 + 2 * b.recursions;
}

/** Channels of z. */
export function zChannels(b: SrGBackbone): number {
  return b.type === 'vdsr-lr' ? b.width : b.zWidth;
}

/** FLOPs (2 per multiply-add) of g per LR pixel. */
export function gFlopsPerPixel(b: SrGBackbone): number {
  const cin = b.conditioned ? 3 : 1;
  if (b.type === 'vdsr-lr') return 2 * 9 * (cin * b.width + (b.depth - 1) * b.width * b.width);
  const fused = b.width * Math.floor(b.recursions / b.fuseEvery);
  return 2 * (9 * cin * b.width + b.recursions * 2 * 9 * b.width * b.width + fused * b.zWidth);
}

const LEAK = 0.05;

function conv(x: tf.Tensor4D, t: SrGTensors, i: number, activation: 'relu' | 'leakyrelu' | 'linear'): tf.Tensor4D {
  return tf.fused.conv2d({
    x,
    filter: t.kernels[i],
    strides: 1,
    pad: 'same',
    bias: t.biases[i],
    activation,
    leakyreluAlpha: LEAK,
  });
}

/**
 * z = g(a) for the network input `a` (y and, when conditioned, the degradation maps); `a` is
 * disposed. Maps are freed as soon as nothing needs them (a band slab holds two or three, not the
 * whole stack); `cancel` is polled before every layer.
 */
export function runG(b: SrGBackbone, t: SrGTensors, a: tf.Tensor4D, cancel?: CancelCheck): tf.Tensor4D {
  const live = new Set<tf.Tensor>([a]);
  const keep = <T extends tf.Tensor>(x: T): T => (live.add(x), x);
  const free = (x: tf.Tensor) => {
    live.delete(x);
    x.dispose();
  };
  const check = () => {
    if (cancel?.aborted) throw new CancelledError();
  };
  try {
    if (b.type === 'vdsr-lr') {
      let x = a;
      for (let i = 0; i < b.depth; i++) {
        check();
        const next = keep(conv(x, t, i, i < b.depth - 1 ? 'relu' : 'linear'));
        free(x);
        x = next;
      }
      live.delete(x);
      return x;
    }
    check();
    const h0 = keep(conv(a, t, 0, 'linear'));
    free(a);
    const fusedInputs: tf.Tensor4D[] = [];
    let h = h0;
    for (let u = 1; u <= b.recursions; u++) {
      check();
      const inner = tf.tidy(() => conv(tf.leakyRelu(h, LEAK), t, 1, 'leakyrelu'));
      const next = keep(tf.tidy(() => tf.add(h0, conv(inner, t, 2, 'linear')) as tf.Tensor4D));
      inner.dispose();
      if (h !== h0 && !fusedInputs.includes(h)) free(h);
      h = next;
      if (u % b.fuseEvery === 0) fusedInputs.push(h);
    }
    check();
    const z = tf.tidy(() => conv(tf.concat(fusedInputs, 3) as tf.Tensor4D, t, 3, 'linear'));
    return z;
  } finally {
    for (const x of live) x.dispose();
  }
}
