/**
 * One restoration as the CLI runs it (upscale, inpaint, interpolate): progress on stderr, the
 * intermediate estimates x̂_1..x̂_K saved on request, the result written atomically with the
 * input's metadata and depth, and every output removed again on failure or cancellation.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  buildRecipe,
  findModel,
  type Image,
  type ImageMetadata,
  iterationSamples,
  IterationStore,
  type IterationStrips,
  type Mask,
  plainIterationStrips,
  readImage,
  resampleImage,
  resampleSamples,
  type RestoreEvent,
  maskSha256,
  type RestoreRequest,
  recipeXmp,
  srIterationStrips,
} from '../engine/index.js';
import type { OutputSizeRequest } from '../base/output-size.js';
import { info, type CliContext } from './context.js';
import { startBackend, type RestoreFlags } from './common.js';
import { chooseModel, loadRestoreApi, type RestoreApi } from './engine-api.js';
import { siblingPath, type OutputSet } from './outputs.js';
import { createProgress } from './progress.js';

export interface RestoreJob {
  /** The input file (for labels and messages). */
  readonly input: string;
  readonly image: Image;
  readonly bitDepth: 8 | 16;
  readonly metadata: ImageMetadata;
  readonly request: RestoreRequest;
  /** Where the result goes (already checked by `outputs`). */
  readonly output: string;
  /** Folder for x̂_1..x̂_K, if the user asked to keep them. */
  readonly iterationsDir?: string;
  /** File name of x̂_k inside iterationsDir. */
  readonly iterationName?: (k: number) => string;
  /**
   * Super-resolution to a size the model scale does not give (src/base/output-size.ts): the model's
   * result, and every saved x̂_k, are resampled down to it with Lanczos-3.
   */
  readonly outputSize?: { readonly width: number; readonly height: number };
  /** For the recipe the output carries: the size asked for, and whether u was suggested. */
  readonly requestedSize?: OutputSizeRequest;
  readonly blurSuggested?: boolean;
}

export interface RunOptions {
  /** Force progress bars even when stderr is not a TTY. */
  readonly forceProgress?: boolean;
  /** Worker threads (see RestoreOptions.workers). */
  readonly workers?: number;
}

/** Runs one restoration; on any failure removes what it wrote through `outputs` and rethrows. */
export async function runRestoreJob(
  ctx: CliContext,
  api: RestoreApi,
  job: RestoreJob,
  outputs: OutputSet,
  options: RunOptions = {},
): Promise<void> {
  const name = path.basename(job.input);
  const progress = createProgress(ctx.stderr, { label: name, force: options.forceProgress });
  // x̂_1..x̂_K go to temporary files as they stream (super-resolution: band by band), and are
  // written as PNGs at the end, one at a time: never K images in memory.
  let store: IterationStore | undefined;
  let strips: IterationStrips | undefined;
  const keep = (K: number, width: number, height: number, channels: number, from: (s: IterationStore) => IterationStrips) => {
    if (store) return store;
    store = new IterationStore({ K, width, height, channels });
    strips = from(store);
    return store;
  };
  const started = performance.now();
  let K = 0;
  let tiles = 0;
  let tilesDone = 0;
  let fraction = 0;
  const onEvent = (event: RestoreEvent): void => {
    switch (event.type) {
      case 'progress':
        fraction = event.fraction;
        progress.update(event.fraction, event.message);
        break;
      case 'tile':
        tiles = event.tiles;
        tilesDone = event.tile;
        progress.update(event.tile / event.tiles, `tile ${event.tile}/${event.tiles}`);
        break;
      case 'iteration': {
        K = event.K;
        const where = tiles > 1 ? `tile ${tilesDone + 1}/${tiles}, ` : '';
        progress.update(
          tiles > 1 ? (tilesDone + event.k / event.K) / tiles : event.k / event.K,
          `${where}iteration ${event.k}/${event.K}, likelihood ${event.likelihood.toExponential(3)}`,
        );
        if (job.iterationsDir !== undefined) {
          const { width, height, channels } = event.image;
          keep(event.K, width, height, channels, plainIterationStrips).write(event.k, 0, event.image.data);
        }
        break;
      }
      case 'band': {
        K = event.K;
        const { band } = event;
        const whole = event.coverage >= 1 ? '' : ` (${Math.round(event.coverage * 100)} % of the image)`;
        progress.update(fraction, `iteration ${event.k}/${event.K}${whole}, likelihood ${event.likelihood.toExponential(3)}`);
        if (job.iterationsDir !== undefined) {
          keep(event.K, band.width, band.height, 1, (s) => srIterationStrips(s, band.planes, band.scale)).write(
            event.k,
            band.y0,
            band.luma,
          );
        }
        break;
      }
    }
  };
  try {
    const computed = await api.restore(job.image, job.request, {
      signal: ctx.signal,
      onEvent,
      workers: options.workers,
      transientBands: true, // the iterates go to disk during the event
    });
    ctx.signal.throwIfAborted();
    const size = job.outputSize;
    const resized = size !== undefined && (size.width !== computed.width || size.height !== computed.height);
    if (resized) progress.update(1, `resampling to ${size.width} × ${size.height}`);
    const result = resized ? await resampleImage(computed, size.width, size.height) : computed;
    ctx.signal.throwIfAborted();
    // The recipe (docs/protocols.md §7) as XMP, merged into the input's packet.
    const { request } = job;
    const model = await findModel(request.task, request.task === 'sr' ? request.scale : undefined, request.modelId);
    const recipeFor = (k: number | undefined, width: number, height: number) =>
      buildRecipe({
        task: request.task,
        model,
        width,
        height,
        ...(request.task === 'sr'
          ? { modelScale: request.scale, blur: request.blur, blurSuggested: job.blurSuggested === true }
          : { maskSha256: maskSha256(request.mask, 'observed') }),
        ...(resized && job.requestedSize !== undefined ? { requestedSize: job.requestedSize } : {}),
        iterations: k ?? request.iterations,
        ...(request.gamma !== undefined ? { gamma: request.gamma } : {}),
      });
    const recipeWarnings: string[] = [];
    const withRecipe = async (k: number | undefined) => ({
      ...job.metadata,
      xmp: Buffer.from(recipeXmp(await recipeFor(k, result.width, result.height), job.metadata.xmp, recipeWarnings), 'utf8'),
    });
    const written = await outputs.writeImage(job.output, result, {
      bitDepth: job.bitDepth,
      metadata: await withRecipe(undefined),
    });
    written.warnings.push(...recipeWarnings.splice(0));
    if (job.iterationsDir !== undefined && store !== undefined && strips !== undefined) {
      const fileName = job.iterationName ?? ((k: number) => `${path.basename(job.input, path.extname(job.input))}.k${k}.png`);
      // Same size, channels and depth as the result, so x̂_K's file equals the output's pixels (up to the
      // 16-bit rounding before a resampling).
      const shape = { width: computed.width, height: computed.height, channels: computed.channels };
      const finalShape = { width: result.width, height: result.height, channels: result.channels };
      for (let k = 1; k <= store.K; k++) {
        ctx.signal.throwIfAborted();
        if (!store.complete(k)) throw new Error(`x̂_${k} was not streamed whole (${store.rows(k)} of ${store.height} rows).`);
        const file = path.join(job.iterationsDir, fileName(k));
        outputs.check(file, '--save-iterations');
        progress.update(1, `writing x̂_${k}`);
        const from = strips;
        const samplesFor = resized
          ? async (depth: 8 | 16) =>
              resampleSamples(await iterationSamples(from, k, shape, depth), shape, size.width, size.height, depth)
          : (depth: 8 | 16) => iterationSamples(from, k, shape, depth);
        await outputs.writeSamples(file, samplesFor, finalShape, {
          format: 'png',
          bitDepth: job.bitDepth,
          metadata: { xmp: (await withRecipe(k)).xmp },
        });
      }
    }
    progress.update(1, 'done');
    progress.stop();
    for (const warning of written.warnings) info(ctx, `dlnet: warning: ${warning}`);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const how = resized ? `×${computed.width / job.image.width} model, then Lanczos-3 to ${result.width} × ${result.height}` : '';
    const notes = [K > 0 ? `K = ${K}` : '', how].filter((n) => n !== '').join(', ');
    info(ctx, `${name} → ${job.output}${notes !== '' ? ` (${notes})` : ''}, ${seconds} s`);
  } catch (error) {
    progress.stop();
    await outputs.rollback();
    throw error;
  } finally {
    store?.dispose();
  }
}

/**
 * `dlnet inpaint` and `dlnet interpolate`: read the input, get its mask, run the model for the task
 * and write `<name>.<label>.png` (or --out); on failure everything written is removed again.
 */
export async function runMaskedFile(
  ctx: CliContext,
  task: 'inpaint' | 'interpolate',
  label: string,
  input: string,
  out: string | undefined,
  flags: RestoreFlags,
  outputs: OutputSet,
  maskFor: (image: Image) => Promise<Mask> | Mask,
): Promise<void> {
  const output = out ?? siblingPath(input, `.${label}.png`);
  outputs.check(output);
  let api: RestoreApi | undefined;
  try {
    if (flags.saveIterations !== undefined) await outputs.ensureDir(flags.saveIterations, '--save-iterations');
    const { image, bitDepth, metadata } = await readImage(input);
    const mask = await maskFor(image);
    api = await loadRestoreApi();
    const model = await chooseModel(api, task, flags.modelId);
    await startBackend(ctx, flags.backend);
    const name = path.basename(input, path.extname(input));
    await runRestoreJob(
      ctx,
      api,
      {
        input,
        image,
        bitDepth,
        metadata,
        request: { task, mask, modelId: model.id, iterations: flags.iterations },
        output,
        iterationsDir: flags.saveIterations,
        iterationName: (k) => `${name}.${label}.k${k}.png`,
      },
      outputs,
      { forceProgress: flags.forceProgress, workers: flags.workers },
    );
  } catch (error) {
    await outputs.rollback();
    throw error;
  } finally {
    await api?.unloadModels(); // stops the worker threads, also after a failure, so the process can exit
  }
}
