/**
 * Everything one backend instance holds: the images it has opened and its job queue. One
 * instance per `dlnet serve` process or Electron window; nothing is module-level state.
 */
import { randomBytes } from 'node:crypto';
import { type ImageMetadata, UserError } from '../engine/index.js';
import type { BackendInfo, Frame } from '../api/api.js';
import { ImageDecoder } from './decoder.js';
import { JobQueue } from './jobs.js';
import { Tools } from './tools.js';
import type { Logger } from './log.js';
import type { FloatImage } from './pixels.js';
import type { BackendChoice } from './worker-protocol.js';

/** Open images kept in memory; opening another drops the oldest. */
const KEEP_IMAGES = 4;

export interface OpenImage {
  readonly id: string;
  readonly name: string;
  readonly path?: string;
  readonly image: FloatImage;
  readonly bitDepth: 8 | 16;
  readonly format: string;
  readonly metadata: ImageMetadata;
  readonly preview: Frame;
}

export interface WorkspaceOptions {
  /** Default folder for outputs of uploaded images. */
  workspaceDir: string;
  shell: 'electron' | 'browser';
  backend: BackendChoice;
  modelDirs: string[];
  /** Threads for each restoration job. */
  restoreWorkers: number;
  log: Logger;
  previewMaxSide: number;
}

export class Workspace {
  readonly #images = new Map<string, OpenImage>();
  readonly jobs: JobQueue;
  /** Opens images off this thread. */
  readonly decoder = new ImageDecoder();
  /** Blur suggestions and lab degradations off this thread. */
  readonly tools: Tools;
  readonly options: WorkspaceOptions;
  #backend: BackendInfo = { name: 'starting', skipped: [] };

  constructor(options: WorkspaceOptions) {
    this.options = options;
    this.tools = new Tools(options.modelDirs);
    this.jobs = new JobQueue({
      backend: options.backend,
      modelDirs: options.modelDirs,
      restoreWorkers: options.restoreWorkers,
      log: options.log,
      previewMaxSide: options.previewMaxSide,
    });
  }

  get log(): Logger {
    return this.options.log;
  }

  /** The backend as last known; `ready()` resolves when the worker has reported it. */
  get backend(): BackendInfo {
    return this.#backend;
  }

  async ready(): Promise<BackendInfo> {
    try {
      this.#backend = await this.jobs.backend();
    } catch (error) {
      this.#backend = { name: 'unavailable', details: error instanceof Error ? error.message : String(error), skipped: [] };
    }
    return this.#backend;
  }

  addImage(image: Omit<OpenImage, 'id'>): OpenImage {
    const entry = { ...image, id: `img-${randomBytes(6).toString('hex')}` };
    this.#images.set(entry.id, entry);
    while (this.#images.size > KEEP_IMAGES) this.#images.delete(this.#images.keys().next().value!);
    return entry;
  }

  image(imageId: string): OpenImage {
    const image = this.#images.get(imageId);
    if (!image) throw new UserError('That image is no longer open; open it again.', 'not-found');
    return image;
  }

  closeImage(imageId: string): void {
    this.#images.delete(imageId);
  }

  /** Paths of every open input file (outputs must never land on one). */
  inputPaths(): string[] {
    return [...this.#images.values()].flatMap((i) => (i.path ? [i.path] : []));
  }

  async dispose(): Promise<void> {
    this.#images.clear();
    await Promise.all([this.jobs.dispose(), this.decoder.close(), this.tools.close()]);
  }
}
