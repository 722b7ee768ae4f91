/**
 * Registry of installed models: every folder with a model.json under the model directories —
 * resources/models (shipped) and training/models (comparison models for the evaluation tables,
 * present in a source checkout only). DLNET_MODELS_DIR (path-delimited) replaces the list.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from './image.js';
import { readModelJson, type ModelJson } from './model-file.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let modelDirs: string[] = process.env.DLNET_MODELS_DIR
  ? process.env.DLNET_MODELS_DIR.split(path.delimiter)
  : [path.join(ROOT, 'resources/models'), path.join(ROOT, 'training/models')];

/** Where models are looked for (the Electron app passes its resources folder). */
export function setModelDirs(dirs: string[]): void {
  modelDirs = dirs;
  listing = null;
}

/** Forgets the cached listing, so models added to the folders since are found. */
export function refreshModels(): void {
  listing = null;
}

export function getModelDirs(): string[] {
  return [...modelDirs];
}

export interface ModelInfo {
  id: string;
  name: string;
  task: ModelJson['task'];
  scale?: number;
  dlnet: boolean;
  dir: string;
  /** True for models under resources/models (what the app ships). */
  shipped: boolean;
}

/** The folders' listing, read once: restore() asks for a model on every call (every file of a batch). */
let listing: Promise<ModelInfo[]> | null = null;

export function listModels(): Promise<ModelInfo[]> {
  listing ??= readListing();
  return listing.then((models) => [...models]);
}

async function readListing(): Promise<ModelInfo[]> {
  const found: ModelInfo[] = [];
  for (const [i, base] of modelDirs.entries()) {
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base, { withFileTypes: true })) {
      const dir = path.join(base, entry.name);
      if (!entry.isDirectory() || !existsSync(path.join(dir, 'model.json'))) continue;
      try {
        const json = await readModelJson(dir);
        found.push({
          id: json.id,
          name: json.name,
          task: json.task,
          scale: json.scale,
          dlnet: json.dlnet !== null,
          dir,
          shipped: i === 0,
        });
      } catch {
        // an unreadable model is reported when someone asks for it by id
      }
    }
  }
  return found.sort((a, b) => a.id.localeCompare(b.id));
}

const TASK_NAMES = {
  sr: 'super-resolution',
  inpaint: 'inpainting',
  interpolate: 'interpolation',
  blur: 'blur estimation',
} as const;

/** The id of the model a task uses when the request names none. */
const DEFAULT_MODEL_IDS: Readonly<Record<ModelJson['task'], (scale?: number) => string>> = {
  sr: (scale) => `sr-x${scale}`,
  inpaint: () => 'inpaint',
  interpolate: () => 'interpolate',
  blur: () => 'blur-estimator',
};

/** The model a request should use: by id, else the default for the task (and scale). */
export async function findModel(task: ModelJson['task'], scale?: number, id?: string): Promise<ModelInfo> {
  const models = await listModels();
  if (id) {
    const byId = models.find((m) => m.id === id);
    if (!byId) {
      throw new UserError(
        `No model with id "${id}" is installed; installed: ${models.map((m) => m.id).join(', ') || 'none'}.`,
        'missing-model',
      );
    }
    if (byId.task !== task) {
      const what = byId.task === 'sr' ? `×${byId.scale} ${TASK_NAMES.sr}` : TASK_NAMES[byId.task];
      throw new UserError(`Model "${id}" is for ${what}, not for ${TASK_NAMES[task]}.`, 'missing-model');
    }
    if (scale !== undefined && byId.scale !== scale) {
      throw new UserError(`Model "${id}" is for ×${byId.scale} super-resolution, not ×${scale}.`, 'missing-model');
    }
    return byId;
  }
  const defaultId = DEFAULT_MODEL_IDS[task](scale);
  const model = models.find((m) => m.id === defaultId);
  if (!model) {
    const what = task === 'sr' ? `${TASK_NAMES.sr} ×${scale}` : TASK_NAMES[task];
    throw new UserError(
      `No ${what} model is installed (expected "${defaultId}" in ${modelDirs[0]}); train and export one as training/README.md describes.`,
      'missing-model',
    );
  }
  return model;
}
