/** Writes small real model folders (random, seeded weights) in the §6 format for tests. */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../src/engine/degradations.js';
import { expectedTensors, MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelJson } from '../../src/engine/model-file.js';

export interface SrModelSpec {
  id?: string;
  scale: 2 | 3 | 4;
  /** vdsr-lr: conv layers; drrn-lr: residual units (fused every second one, z of 6 channels); idn-lr: blocks. */
  depth: number;
  /** Channels (idn-lr: fixed by the design, ignored). */
  width: number;
  backbone?: 'vdsr-lr' | 'drrn-lr' | 'idn-lr';
  conditioned?: boolean;
  K?: number;
  seed?: number;
}

function writeModel(
  dir: string,
  json: Omit<ModelJson, 'weights' | 'tensors'>,
  seed: number,
  amplitude: (name: string, fanIn: number) => number,
): string {
  const tensors = expectedTensors(json as ModelJson);
  const rand = seededRandom(seed);
  const chunks: Buffer[] = [];
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const fanIn =
      t.shape.length === 4
        ? t.shape[0] * t.shape[1] * (t.layout === 'HWOI' ? t.shape[3] : t.shape[2])
        : t.shape.length === 3
          ? t.shape[1]
          : 1;
    const amp = amplitude(t.name, fanIn);
    const buf = Buffer.alloc(n * 4);
    for (let i = 0; i < n; i++) buf.writeFloatLE((rand() * 2 - 1) * amp, i * 4);
    chunks.push(buf);
  }
  const blob = Buffer.concat(chunks);
  const full: ModelJson = {
    ...json,
    weights: {
      file: 'weights.bin',
      dtype: 'float32',
      byteOrder: 'little-endian',
      bytes: blob.length,
      sha256: createHash('sha256').update(blob).digest('hex'),
    },
    tensors,
  };
  const folder = path.join(dir, json.id);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'weights.bin'), blob);
  writeFileSync(path.join(folder, 'model.json'), JSON.stringify(full, null, 1));
  return folder;
}

/** A random LR-level SR model; weights scaled like He initialisation so activations stay O(1). */
export function writeSrModel(dir: string, spec: SrModelSpec): string {
  const K = spec.K ?? 5;
  return writeModel(
    dir,
    {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      id: spec.id ?? `sr-x${spec.scale}`,
      name: `test SR ×${spec.scale}`,
      task: 'sr',
      scale: spec.scale,
      backbone:
        spec.backbone === 'drrn-lr'
          ? {
              type: 'drrn-lr',
              recursions: spec.depth,
              width: spec.width,
              fuseEvery: 2,
              zWidth: 6,
              conditioned: spec.conditioned ?? true,
            }
          : spec.backbone === 'idn-lr'
            ? { type: 'idn-lr', blocks: spec.depth, conditioned: spec.conditioned ?? true }
            : { type: 'vdsr-lr', depth: spec.depth, width: spec.width, conditioned: spec.conditioned ?? true },
      dlnet: K > 1 ? { K, gamma: 1e-3, beta1: 0.9, beta2: 0.999 } : null,
      color: { network: 'luma' },
    },
    spec.seed ?? 1,
    (name, fanIn) => (name.endsWith('bias') ? 0.01 : name.startsWith('out') ? 0.1 / Math.sqrt(fanIn) : Math.sqrt(6 / fanIn)),
  );
}

/** A random context-encoder model for inpainting or interpolation. */
export function writeMaskedModel(dir: string, task: 'inpaint' | 'interpolate', seed = 3, id: string = task): string {
  return writeModel(
    dir,
    {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      id,
      name: `test ${task}`,
      task,
      backbone: { type: 'context-encoder', size: 64, feedMask: true },
      dlnet: { K: 5, gamma: task === 'inpaint' ? 1e-3 : 1e-2, beta1: 0.9, beta2: 0.999 },
      color: { network: 'RGB' },
    },
    seed,
    (name, fanIn) => (name.endsWith('bias') ? 0.01 : Math.sqrt(3 / fanIn)),
  );
}

/** A random blur estimator (suggests u for the Suggest button and --blur auto), width 4, heads for ×2, ×3, ×4. */
export function writeBlurEstimator(dir: string, seed = 5): string {
  return writeModel(
    dir,
    {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      id: 'blur-estimator',
      name: 'test blur estimator',
      task: 'blur',
      backbone: { type: 'blur-estimator', width: 4, scales: [2, 3, 4], classes: 31, uStep: 0.1 },
      dlnet: null,
      color: { network: 'luma' },
    },
    seed,
    (name, fanIn) => (name.endsWith('bias') ? 0.01 : Math.sqrt(6 / fanIn)),
  );
}

/** The shipped blur estimator copied into `dir`: for tests that need its judgement, not just its plumbing. */
export function copyShippedBlurEstimator(dir: string): string {
  const from = fileURLToPath(new URL('../../resources/models/blur-estimator', import.meta.url));
  const to = path.join(dir, 'blur-estimator');
  cpSync(from, to, { recursive: true });
  return to;
}
