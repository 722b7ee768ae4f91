/**
 * Model files (docs/protocols.md §4): resources/models/<id>/model.json + one little-endian float32 weights
 * file. The loader checks the format version, the weights' byte count and sha256, and every
 * tensor's shape against what the backbone's hyper-parameters imply, and refuses a mismatch
 * with one sentence naming the model.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from './image.js';

export const MODEL_FORMAT = 'dlnet-studio-model';
export const MODEL_FORMAT_VERSION = 1;

export interface TensorEntry {
  name: string;
  shape: number[];
  /** HWIO conv kernel, HWOI transposed-conv kernel, C vector, CIO channel-wise matrix… */
  layout: string;
}

export interface SrBackbone {
  type: 'vdsr-lr';
  depth: number;
  width: number;
  /** Whether g also takes the degradation maps (u/3, bicubic flag). */
  conditioned: boolean;
}

/**
 * DRRN at low resolution (docs/protocols.md §3, B1U<recursions>): an entry conv to `width` channels, one
 * recursive block of `recursions` residual units sharing two 3×3 convs (pre-activation leaky ReLU
 * 0.05), every `fuseEvery`-th unit's output concatenated and fused by a 1×1 conv into z
 * (`zWidth` channels); h as in vdsr-lr.
 */
export interface DrrnBackbone {
  type: 'drrn-lr';
  recursions: number;
  width: number;
  fuseEvery: number;
  zWidth: number;
  conditioned: boolean;
}

/**
 * IDN at low resolution (docs/protocols.md §3): FBlock (two 3×3 convs to 64) and `blocks` distillation blocks
 * (enhancement unit of six 3×3 convs, two of them grouped ×4, and a 1×1 compression to 64; leaky
 * ReLU 0.05); z is the last compression's output; h as in vdsr-lr.
 */
export interface IdnBackbone {
  type: 'idn-lr';
  blocks: number;
  conditioned: boolean;
}

/** The convs of one IDN distillation block: [name, in, out, kernel side, groups]. */
export const IDN_BLOCK: readonly (readonly [string, number, number, number, number])[] = [
  ['c1', 64, 48, 3, 1],
  ['c2', 48, 32, 3, 4],
  ['c3', 32, 64, 3, 1],
  ['c4', 48, 64, 3, 1],
  ['c5', 64, 48, 3, 4],
  ['c6', 48, 80, 3, 1],
  ['compress', 80, 64, 1, 1],
];

export interface ContextEncoderBackbone {
  type: 'context-encoder';
  size: number;
  feedMask: boolean;
}

/** Fully convolutional interpolation network (training/inpaint_model.py FConvMasked). */
export interface FConvMaskedBackbone {
  type: 'fconv-masked';
  depth: number;
  width: number;
}

/** Fully convolutional inpainting network (training/fconv_inpaint.py FConvInpaint). */
export interface FConvInpaintBackbone {
  type: 'fconv-inpaint';
  width0: number;
  width1: number;
  /** Jacobi sweeps per pyramid level of the first guess (default 20). */
  sweeps?: number;
}

/** Blur estimator (training/blur_estimator.py): six 3×3 convs, a mean, one linear head per scale. */
export interface BlurEstimatorBackbone {
  type: 'blur-estimator';
  width: number;
  scales: number[];
  /** Class 0 is bicubic downscaling; class i ≥ 1 a Gaussian of std i·uStep. */
  classes: number;
  uStep: number;
}

export interface DLNetRecord {
  K: number;
  gamma: number;
  beta1: number;
  beta2: number;
}

/** One input or output of an ONNX part; string dimensions are dynamic. */
export interface OnnxIo {
  name: string;
  shape: (number | string)[];
  layout: 'NHWC' | 'NCHW';
}

/** An entry of model.json's `onnx` list. */
export interface OnnxPartEntry {
  file: string;
  /** Which network function the file computes ('g'; parts of it in `index` order). */
  part: string;
  index: number;
  parts: number;
  /** Layers [first, last) of g in this part (plain conv stacks). */
  layers?: [number, number];
  opset: number;
  bytes: number;
  sha256: string;
  inputs: OnnxIo[];
  outputs: OnnxIo[];
}

export interface ModelJson {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  id: string;
  name: string;
  /** 'blur': the blur estimator behind the blur suggestion (not a restoration). */
  task: 'sr' | 'inpaint' | 'interpolate' | 'blur';
  scale?: 2 | 3 | 4;
  backbone:
    | SrBackbone
    | DrrnBackbone
    | IdnBackbone
    | ContextEncoderBackbone
    | FConvMaskedBackbone
    | FConvInpaintBackbone
    | BlurEstimatorBackbone;
  dlnet: DLNetRecord | null;
  color: Record<string, string>;
  weights: { file: string; dtype: 'float32'; byteOrder: 'little-endian'; bytes: number; sha256: string };
  tensors: TensorEntry[];
  /** ONNX files of g (training/export_onnx.py) for the onnxruntime backend; optional, additive. */
  onnx?: OnnxPartEntry[];
  training?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
}

export interface LoadedWeights {
  json: ModelJson;
  dir: string;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

function fail(dir: string, why: string): never {
  throw new UserError(`The model in ${dir} cannot be used: ${why}.`, 'bad-model');
}

export async function readModelJson(dir: string): Promise<ModelJson> {
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')) as ModelJson;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(dir, code === 'ENOENT' ? 'model.json is missing' : 'model.json is not valid JSON');
  }
  if (json.format !== MODEL_FORMAT) fail(dir, `model.json is not a ${MODEL_FORMAT} file`);
  if (json.formatVersion !== MODEL_FORMAT_VERSION) {
    fail(dir, `its format version ${json.formatVersion} is not the supported ${MODEL_FORMAT_VERSION}`);
  }
  return json;
}

/** The tensor names and shapes a backbone's hyper-parameters imply, in file order. */
export function expectedTensors(json: ModelJson): TensorEntry[] {
  const b = json.backbone;
  if (b.type === 'vdsr-lr') {
    const t = json.scale ?? 0;
    const list: TensorEntry[] = [];
    for (let i = 0; i < b.depth; i++) {
      const inC = i === 0 ? (b.conditioned ? 3 : 1) : b.width;
      list.push({ name: `g.${i}.kernel`, shape: [3, 3, inC, b.width], layout: 'HWIO' });
      list.push({ name: `g.${i}.bias`, shape: [b.width], layout: 'C' });
    }
    list.push({ name: 'out.kernel', shape: [3, 3, b.width, t * t], layout: 'HWIO' });
    list.push({ name: 'out.bias', shape: [t * t], layout: 'C' });
    return list;
  }
  if (b.type === 'drrn-lr') {
    const t = json.scale ?? 0;
    const cin = b.conditioned ? 3 : 1;
    const fused = b.width * Math.floor(b.recursions / b.fuseEvery);
    return [
      { name: 'g.entry.kernel', shape: [3, 3, cin, b.width], layout: 'HWIO' },
      { name: 'g.entry.bias', shape: [b.width], layout: 'C' },
      { name: 'g.unitA.kernel', shape: [3, 3, b.width, b.width], layout: 'HWIO' },
      { name: 'g.unitA.bias', shape: [b.width], layout: 'C' },
      { name: 'g.unitB.kernel', shape: [3, 3, b.width, b.width], layout: 'HWIO' },
      { name: 'g.unitB.bias', shape: [b.width], layout: 'C' },
      { name: 'g.fuse.kernel', shape: [1, 1, fused, b.zWidth], layout: 'HWIO' },
      { name: 'g.fuse.bias', shape: [b.zWidth], layout: 'C' },
      { name: 'out.kernel', shape: [3, 3, b.zWidth, t * t], layout: 'HWIO' },
      { name: 'out.bias', shape: [t * t], layout: 'C' },
    ];
  }
  if (b.type === 'idn-lr') {
    const t = json.scale ?? 0;
    const list: TensorEntry[] = [];
    const conv = (name: string, cin: number, cout: number, side: number, groups: number) => {
      // Grouped convs keep one kernel [side, side, cin / groups, cout]: output channels split into `groups` runs.
      list.push({
        name: `${name}.kernel`,
        shape: [side, side, cin / groups, cout],
        layout: groups > 1 ? `HWIO/${groups}` : 'HWIO',
      });
      list.push({ name: `${name}.bias`, shape: [cout], layout: 'C' });
    };
    conv('g.f0', b.conditioned ? 3 : 1, 64, 3, 1);
    conv('g.f1', 64, 64, 3, 1);
    for (let i = 0; i < b.blocks; i++)
      for (const [name, cin, cout, side, groups] of IDN_BLOCK) conv(`g.b${i}.${name}`, cin, cout, side, groups);
    conv('out', 64, t * t, 3, 1);
    return list;
  }
  if (b.type === 'fconv-masked') {
    const list: TensorEntry[] = [];
    for (let i = 0; i < b.depth; i++) {
      list.push({ name: `g.${i}.kernel`, shape: [3, 3, i === 0 ? 7 : b.width, b.width], layout: 'HWIO' });
      list.push({ name: `g.${i}.bias`, shape: [b.width], layout: 'C' });
    }
    list.push({ name: 'out.kernel', shape: [3, 3, b.width, 3], layout: 'HWIO' });
    list.push({ name: 'out.bias', shape: [3], layout: 'C' });
    return list;
  }
  if (b.type === 'fconv-inpaint') {
    const { width0: w0, width1: w1 } = b;
    const convs: [string, number, number][] = [
      ['e0', 7, w0],
      ['e1', w0, w1],
      ['e2', w1, w1],
      ...[0, 1, 2, 3].map((i): [string, number, number] => [`mid.${i}`, w1, w1]),
      ['u1', 2 * w1, w1],
      ['u0', w1 + w0, w0],
      ['out', w0, 3],
    ];
    return convs.flatMap(([name, cin, cout]): TensorEntry[] => [
      { name: `${name}.kernel`, shape: [3, 3, cin, cout], layout: 'HWIO' },
      { name: `${name}.bias`, shape: [cout], layout: 'C' },
    ]);
  }
  if (b.type === 'blur-estimator') {
    const w = b.width;
    const convs: [number, number][] = [[1, w], [w, w], [w, 2 * w], [2 * w, 2 * w], [2 * w, 2 * w], [2 * w, 2 * w]];
    return [
      ...convs.flatMap(([cin, cout], i): TensorEntry[] => [
        { name: `c${i}.kernel`, shape: [3, 3, cin, cout], layout: 'HWIO' },
        { name: `c${i}.bias`, shape: [cout], layout: 'C' },
      ]),
      ...b.scales.flatMap((s): TensorEntry[] => [
        { name: `head.x${s}.weight`, shape: [2 * w, b.classes], layout: 'IO' },
        { name: `head.x${s}.bias`, shape: [b.classes], layout: 'C' },
      ]),
    ];
  }
  const enc = [b.feedMask ? 4 : 3, 64, 128, 256, 512];
  const list: TensorEntry[] = [];
  for (let i = 0; i < 4; i++) {
    list.push({ name: `enc.${i}.kernel`, shape: [4, 4, enc[i], enc[i + 1]], layout: 'HWIO' });
    list.push({ name: `enc.${i}.bias`, shape: [enc[i + 1]], layout: 'C' });
  }
  const code = (b.size / 16) ** 2;
  list.push({ name: 'fc.weight', shape: [512, code, code], layout: 'CIO' });
  list.push({ name: 'fc.bias', shape: [512, code], layout: 'CO' });
  const dec = [512, 256, 128, 64, 3];
  for (let i = 0; i < 4; i++) {
    const name = i < 3 ? `dec.${i}` : 'out';
    list.push({ name: `${name}.kernel`, shape: [4, 4, dec[i + 1], dec[i]], layout: 'HWOI' });
    list.push({ name: `${name}.bias`, shape: [dec[i + 1]], layout: 'C' });
  }
  return list;
}

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

export async function loadWeights(dir: string): Promise<LoadedWeights> {
  const json = await readModelJson(dir);
  const expected = expectedTensors(json);
  if (json.tensors.length !== expected.length) {
    fail(dir, `it lists ${json.tensors.length} tensors where its backbone needs ${expected.length}`);
  }
  json.tensors.forEach((entry, i) => {
    const want = expected[i];
    if (entry.name !== want.name || !sameShape(entry.shape, want.shape) || entry.layout !== want.layout) {
      fail(
        dir,
        `tensor ${entry.name} is [${entry.shape}] ${entry.layout} where ${want.name} [${want.shape}] ${want.layout} is expected`,
      );
    }
  });
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(dir, json.weights.file));
  } catch {
    fail(dir, `its weights file ${json.weights.file} is missing`);
  }
  const total = expected.reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.length !== total * 4 || bytes.length !== json.weights.bytes) {
    fail(dir, `its weights file holds ${bytes.length} bytes where ${total * 4} are expected`);
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== json.weights.sha256)
    fail(dir, 'the sha256 of its weights does not match model.json (the file is damaged or was changed)');
  const all = new Float32Array(total);
  for (let i = 0; i < total; i++) all[i] = bytes.readFloatLE(i * 4);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const e of expected) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    tensors.set(e.name, { shape: e.shape, data: all.subarray(offset, offset + n) });
    offset += n;
  }
  return { json, dir, tensors };
}
