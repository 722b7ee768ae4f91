/** job.start, job.cancel, job.residual and job.save. */
import { stat } from 'node:fs/promises';
import {
  findModel,
  type Image,
  iterationSamples,
  IterationStore,
  plainIterationStrips,
  splitLuma,
  srIterationStrips,
  UserError,
  buildRecipe,
  maskSha256,
  recipeXmp,
  resampleSamples,
  writeImage,
  writeSamples,
} from '../../engine/index.js';
import { heatFrame, residualStats } from '../pixels.js';
import { planOutputSize } from '../../base/output-size.js';
import { MAX_PIXELS, type Channels } from '../../api/api.js';
import { checkOutputPath } from '../paths.js';
import type { WorkerRequest } from '../worker-protocol.js';
import type { Handler } from './context.js';
import type { OpenImage } from '../workspace.js';
import { toObserved } from './mask.js';

export const startJob: Handler<typeof Channels.jobStart> = async (
  { imageId, settings, focus, reference },
  { workspace, emit },
) => {
  const open = workspace.image(imageId);
  const { image } = open;
  let request: WorkerRequest;
  let width = image.width;
  let height = image.height;
  if (settings.task === 'sr') {
    // Any output size: the smallest model scale that reaches it runs, then Lanczos-3 down (in the worker).
    const plan = settings.output !== undefined ? planOutputSize(image, settings.output) : undefined;
    if (plan !== undefined && plan.modelScale !== settings.scale) {
      throw new UserError(
        `Scale must be ${plan.modelScale}, the smallest model scale that reaches ${plan.width} × ${plan.height}, not ${settings.scale}.`,
        'bad-size',
      );
    }
    width *= settings.scale;
    height *= settings.scale;
    if (width * height > MAX_PIXELS) {
      throw new UserError(
        `The result would be ${Math.round((width * height) / 1e6)} megapixels; the app makes at most ${MAX_PIXELS / 1e6}.`,
        'too-large',
      );
    }
    await findModel('sr', settings.scale, settings.modelId);
    request = {
      task: 'sr',
      scale: settings.scale,
      blur: settings.blur,
      iterations: settings.iterations,
      gamma: settings.gamma,
      modelId: settings.modelId,
      ...(plan?.resampled === true ? { outputSize: { width: plan.width, height: plan.height } } : {}),
    };
    if (plan !== undefined) ({ width, height } = plan);
  } else {
    const { mask } = settings;
    if (mask.width !== image.width || mask.height !== image.height) {
      throw new UserError(
        `The mask is ${mask.width} × ${mask.height} pixels but the image is ${image.width} × ${image.height}; they must match.`,
        'mask-size',
      );
    }
    let holes = 0;
    for (let p = 0; p < mask.fill.length; p++) holes += mask.fill[p];
    if (holes === 0) throw new UserError('The mask is empty: paint the pixels to fill first.', 'empty-mask');
    if (holes === mask.fill.length)
      throw new UserError('The mask covers the whole image: leave some pixels to restore from.', 'full-mask');
    await findModel(settings.task, undefined, settings.modelId);
    request = {
      task: settings.task,
      mask: toObserved(mask),
      iterations: settings.iterations,
      gamma: settings.gamma,
      modelId: settings.modelId,
    };
  }
  // Lab mode: the clean original, which the result must match in size (SR: cropped to a multiple of t).
  let clean: OpenImage['image'] | undefined;
  if (reference !== undefined) {
    clean = workspace.image(reference).image;
    const t = settings.task === 'sr' ? settings.scale : 1;
    const [rw, rh] = [clean.width - (clean.width % t), clean.height - (clean.height % t)];
    if (rw !== width || rh !== height || (settings.task === 'sr' && settings.output !== undefined)) {
      throw new UserError(
        `The original is ${clean.width} × ${clean.height} pixels, which the ${width} × ${height} result cannot be measured against; degrade it in lab mode first.`,
        'reference-size',
      );
    }
  }
  const job = workspace.jobs.submit(imageId, image, settings, request, emit, settings.task === 'sr' ? focus : undefined, clean);
  workspace.log.info(`job ${job.id}: ${settings.task} on ${open.name}, K = ${settings.iterations}, γ = ${settings.gamma}`);
  return { jobId: job.id, width, height };
};

export const cancelJob: Handler<typeof Channels.jobCancel> = async ({ jobId }, { workspace }) => {
  workspace.jobs.cancel(jobId);
  return null;
};

function finishedJob(workspace: Parameters<Handler<typeof Channels.jobCancel>>[1]['workspace'], jobId: string) {
  const job = workspace.jobs.get(jobId);
  if (!job) throw new UserError('That result is no longer available; run the restoration again.', 'not-found');
  return job;
}

export const residual: Handler<typeof Channels.jobResidual> = async ({ jobId, k }, { workspace }) => {
  const map = finishedJob(workspace, jobId).frames.residual(k);
  if (!map) throw new UserError(`Iteration ${k} of that run is not available.`, 'not-found');
  // Rows of x̂_k not streamed yet stay transparent; the colour scale comes from the rows that are.
  const max = residualStats(map.data.filter((v, i) => v > 0 && map.rows[Math.floor(i / map.width)] === 1)).max;
  const frame = heatFrame(map, max);
  for (let y = 0; y < map.height; y++) if (map.rows[y] !== 1) frame.rgba.fill(0, y * map.width * 4, (y + 1) * map.width * 4);
  return { frame, mean: map.mean, max };
};

export const saveResult: Handler<typeof Channels.jobSave> = async ({ jobId, k, path: file, format, quality }, { workspace }) => {
  const job = finishedJob(workspace, jobId);
  if (job.state !== 'done' || !job.result)
    throw new UserError('The restoration has not finished; there is nothing to save yet.', 'not-ready');
  const last = k === undefined || k === job.K;
  const stored = job.stored;
  if (!last && (stored === undefined || k! > stored.K))
    throw new UserError(`Iteration ${k} of that run is not available.`, 'not-found');
  checkOutputPath(file, format, workspace.inputPaths());
  const input = workspace.image(job.imageId);
  // What made it, as XMP merged into the input's packet (x̂_k of an earlier k: K = k).
  const { settings } = job;
  const model = await findModel(settings.task, settings.task === 'sr' ? settings.scale : undefined, settings.modelId);
  const recipe = await buildRecipe({
    task: settings.task,
    model,
    width: job.result.width,
    height: job.result.height,
    ...(settings.task === 'sr'
      ? {
          modelScale: settings.scale,
          blur: settings.blur,
          blurSuggested: settings.blurSuggested === true,
          ...(settings.output !== undefined &&
          (job.result.width !== job.input.width * settings.scale || job.result.height !== job.input.height * settings.scale)
            ? { requestedSize: settings.output }
            : {}),
        }
      : { maskSha256: maskSha256({ data: settings.mask.fill }, 'fill') }),
    iterations: last ? settings.iterations : k!,
    gamma: settings.gamma,
  });
  const recipeWarnings: string[] = [];
  const metadata = { ...input.metadata, xmp: Buffer.from(recipeXmp(recipe, input.metadata.xmp, recipeWarnings), 'utf8') };
  const options = { format, ...(quality !== undefined ? { quality } : {}), bitDepth: input.bitDepth, metadata };
  let written;
  if (last) {
    written = await writeImage(file, job.result as Parameters<typeof writeImage>[1], options);
  } else {
    // x̂_k from its full-size rows on disk, strip by strip (super-resolution: coloured as the result is).
    const store = new IterationStore({ ...stored!, dir: stored!.dir });
    try {
      const { result } = job;
      // The model's size (stored); a result resampled to another size gets x̂_k resampled the same way.
      const shape = { width: stored!.width, height: stored!.height, channels: result.channels };
      const final = { width: result.width, height: result.height, channels: result.channels };
      const strips =
        job.settings.task === 'sr'
          ? srIterationStrips(store, splitLuma(job.input as Image), job.settings.scale)
          : plainIterationStrips(store);
      const samples = async (depth: 8 | 16) =>
        resampleSamples(await iterationSamples(strips, k!, shape, depth), shape, final.width, final.height, depth);
      written = await writeSamples(file, samples, final, options);
    } finally {
      store.release(); // the files stay for later saves; the job removes them
    }
  }
  const { size } = await stat(file);
  workspace.log.info(`saved ${file} (${size} bytes)`);
  return { path: written.path, bytes: size, format, warnings: [...written.warnings, ...recipeWarnings] };
};
