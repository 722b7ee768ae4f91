/**
 * g of the LR-level super-resolution backbones (docs/protocols.md §3), shared by SrNet (the autodiff route the
 * parity tests use) and SrCompute (the band engine):
 *   vdsr-lr: [y, maps] → depth × conv3×3 (ReLU between) → z
 *   drrn-lr: [y, maps] → entry conv3×3 = H0; H_u = H0 + B(lrelu(A(lrelu(H_{u−1})))) for u = 1..U with A, B
 *            shared (leaky ReLU 0.05); z = conv1×1([H_f, H_2f, …]) (f = fuseEvery)
 *   idn-lr:  [y, maps] → FBlock (2 convs) → distillation blocks (enhancement: 3 convs, 16 of 64 channels
 *            kept beside the block input, 3 more convs on the other 48, the two 80-channel maps added;
 *            compression 1×1 to 64); leaky ReLU 0.05 after every conv but the last, whose output is z
 * Tensors are NHWC.
 */
import { tf } from '../backend.js';
import { CancelledError, type CancelCheck } from '../dlnet.js';
import { IDN_BLOCK, type DrrnBackbone, type IdnBackbone, type SrBackbone } from '../model-file.js';

export type SrGBackbone = SrBackbone | DrrnBackbone | IdnBackbone;

/** g's kernels and biases in file order (gTensorNames). */
export interface SrGTensors {
  kernels: tf.Tensor4D[];
  biases: tf.Tensor1D[];
}

export function gTensorNames(b: SrGBackbone): string[] {
  if (b.type === 'vdsr-lr') return Array.from({ length: b.depth }, (_, i) => `g.${i}`);
  if (b.type === 'drrn-lr') return ['g.entry', 'g.unitA', 'g.unitB', 'g.fuse'];
  const blocks = Array.from({ length: b.blocks }, (_, i) => IDN_BLOCK.map(([name]) => `g.b${i}.${name}`));
  return ['g.f0', 'g.f1', ...blocks.flat()];
}

/** Receptive-field radius of g in LR pixels (one per 3×3 conv on the path). */
export function gRadius(b: SrGBackbone): number {
  if (b.type === 'vdsr-lr') return b.depth;
  if (b.type === 'drrn-lr') return 1 + 2 * b.recursions;
  return 2 + 6 * b.blocks;
}

/** Channels of z. */
export function zChannels(b: SrGBackbone): number {
  return b.type === 'vdsr-lr' ? b.width : b.type === 'drrn-lr' ? b.zWidth : 64;
}

/** FLOPs (2 per multiply-add) of g per LR pixel. */
export function gFlopsPerPixel(b: SrGBackbone): number {
  const cin = b.conditioned ? 3 : 1;
  if (b.type === 'vdsr-lr') return 2 * 9 * (cin * b.width + (b.depth - 1) * b.width * b.width);
  if (b.type === 'idn-lr') {
    const block = IDN_BLOCK.reduce((n, [, ci, co, side, groups]) => n + (side * side * ci * co) / groups, 0);
    return 2 * (9 * (cin * 64 + 64 * 64) + b.blocks * block);
  }
  const fused = b.width * Math.floor(b.recursions / b.fuseEvery);
  return 2 * (9 * cin * b.width + b.recursions * 2 * 9 * b.width * b.width + fused * b.zWidth);
}

const LEAK = 0.05;

type Activation = 'relu' | 'leakyrelu' | 'linear';

function conv(x: tf.Tensor4D, t: SrGTensors, i: number, activation: Activation): tf.Tensor4D {
  return tf.fused.conv2d({
    x,
    filter: t.kernels[i],
    strides: 1,
    pad: 'same',
    bias: t.biases[i],
    activation,
    leakyreluAlpha: LEAK,
  }) as tf.Tensor4D;
}

/** A grouped conv (kernel [h, w, cin / groups, cout]) as `groups` convs on channel runs, concatenated. */
function groupedConv(x: tf.Tensor4D, t: SrGTensors, i: number, groups: number, activation: Activation): tf.Tensor4D {
  return tf.tidy(() => {
    const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
    const ks = tf.split(t.kernels[i], groups, 3) as tf.Tensor4D[];
    const bs = tf.split(t.biases[i], groups) as tf.Tensor1D[];
    const outs = xs.map((xg, g) =>
      tf.fused.conv2d({ x: xg, filter: ks[g], strides: 1, pad: 'same', bias: bs[g], activation, leakyreluAlpha: LEAK }),
    );
    return tf.concat(outs, 3) as tf.Tensor4D;
  });
}

/** IDN's g (kernels in gTensorNames order: f0, f1, then the 7 convs of each block); frees `a`. */
function runIdn(b: IdnBackbone, t: SrGTensors, a: tf.Tensor4D, check: () => void): tf.Tensor4D {
  let x = a;
  try {
    check();
    x = tf.tidy(() => conv(conv(a, t, 0, 'leakyrelu'), t, 1, 'leakyrelu'));
    a.dispose();
    for (let blk = 0; blk < b.blocks; blk++) {
      check();
      const base = 2 + blk * IDN_BLOCK.length;
      const act: Activation = blk === b.blocks - 1 ? 'linear' : 'leakyrelu';
      const next = tf.tidy(() => {
        const layer = (input: tf.Tensor4D, j: number, activation: Activation = 'leakyrelu') =>
          IDN_BLOCK[j][4] > 1
            ? groupedConv(input, t, base + j, IDN_BLOCK[j][4], activation)
            : conv(input, t, base + j, activation);
        const u = layer(layer(layer(x, 0), 1), 2);
        const kept = tf.concat([x, tf.slice(u, [0, 0, 0, 0], [-1, -1, -1, 16])], 3) as tf.Tensor4D;
        const v = layer(layer(layer(tf.slice(u, [0, 0, 0, 16], [-1, -1, -1, 48]) as tf.Tensor4D, 3), 4), 5);
        return layer(tf.add(kept, v) as tf.Tensor4D, 6, act);
      });
      x.dispose();
      x = next;
    }
    return x;
  } catch (error) {
    tf.dispose([x, a]); // disposing a disposed tensor is a no-op
    throw error;
  }
}

/** The plain stack: each map disposed as soon as the next exists. Frees `a`. */
function runVdsr(b: SrBackbone, t: SrGTensors, a: tf.Tensor4D, check: () => void): tf.Tensor4D {
  let x = a;
  try {
    for (let i = 0; i < b.depth; i++) {
      check();
      const next = conv(x, t, i, i < b.depth - 1 ? 'relu' : 'linear');
      x.dispose();
      x = next;
    }
    return x;
  } catch (error) {
    x.dispose();
    throw error;
  }
}

/** DRRN: holds H0, the current H_u and the units kept for the fusion. Frees `a`. */
function runDrrn(b: DrrnBackbone, t: SrGTensors, a: tf.Tensor4D, check: () => void): tf.Tensor4D {
  const live = new Set<tf.Tensor>([a]);
  const keep = <T extends tf.Tensor>(x: T): T => (live.add(x), x);
  try {
    check();
    const h0 = keep(conv(a, t, 0, 'linear'));
    const fusedInputs: tf.Tensor4D[] = [];
    let h = h0;
    for (let u = 1; u <= b.recursions; u++) {
      check();
      const next = keep(
        tf.tidy(() => tf.add(h0, conv(conv(tf.leakyRelu(h, LEAK), t, 1, 'leakyrelu'), t, 2, 'linear')) as tf.Tensor4D),
      );
      if (h !== h0 && !fusedInputs.includes(h)) {
        live.delete(h);
        h.dispose();
      }
      h = next;
      if (u % b.fuseEvery === 0) fusedInputs.push(h);
    }
    check();
    return tf.tidy(() => conv(tf.concat(fusedInputs, 3) as tf.Tensor4D, t, 3, 'linear'));
  } finally {
    for (const x of live) x.dispose();
  }
}

/**
 * z = g(a) for the network input `a` (y and, when conditioned, the degradation maps); `a` is
 * disposed. Maps are freed as soon as nothing needs them (a band slab holds a few, not the whole
 * stack); `cancel` is polled before every layer or unit.
 */
export function runG(b: SrGBackbone, t: SrGTensors, a: tf.Tensor4D, cancel?: CancelCheck): tf.Tensor4D {
  const check = () => {
    if (cancel?.aborted) throw new CancelledError();
  };
  if (b.type === 'vdsr-lr') return runVdsr(b, t, a, check);
  if (b.type === 'drrn-lr') return runDrrn(b, t, a, check);
  return runIdn(b, t, a, check);
}
