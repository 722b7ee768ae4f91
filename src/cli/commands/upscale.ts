/** `dlnet upscale <in...> --scale <t>`: super-resolution of one photo or a batch. */
import path from 'node:path';
import type { Command } from 'commander';
import { readImage } from '../../engine/index.js';
import { parseBlur, parseScale } from '../../api/validate.js';
import { addRestoreOptions, parseRestoreFlags, startBackend, type RawRestoreFlags } from '../common.js';
import { reportItemFailure, type CliContext } from '../context.js';
import { chooseModel, loadRestoreApi, type RestoreApi } from '../engine-api.js';
import { UsageError } from '../errors.js';
import { isDirectory, OutputSet, siblingPath } from '../outputs.js';
import { runRestoreJob } from '../restore-job.js';

interface UpscaleFlags extends RawRestoreFlags {
  scale: string;
  blur: string;
  out?: string;
}

export function registerUpscale(program: Command, ctx: CliContext): void {
  const command = program
    .command('upscale')
    .summary('super-resolve photos x2, x3 or x4')
    .description(
      'Super-resolve photos with the DL-Net model for the scale. Colour photos: luma goes through the network, ' +
        'chroma and alpha are upscaled bicubically. --blur names how blurred the photo is (0 = bicubic downscaling, ' +
        'up to 3 = strong Gaussian blur). Outputs never overwrite existing files; a failed file leaves nothing behind ' +
        'and does not stop the batch.',
    )
    .argument('<in...>', 'input images (PNG, JPEG, WebP, TIFF, BMP, GIF, AVIF)')
    .requiredOption('--scale <t>', 'scale factor: 2, 3 or 4')
    .option('--blur <u>', 'blur width u of the degradation, from 0 to 3', '0')
    .option('--out <file|dir>', 'output file (one input) or folder (default: <name>.x<t>.png next to each input)');
  addRestoreOptions(command)
    .addHelpText(
      'after',
      '\nExamples:\n  dlnet upscale photo.jpg --scale 2\n  dlnet upscale *.png --scale 4 --blur 1.3 --out upscaled/',
    )
    .action(async (inputs: string[], raw: UpscaleFlags) => {
      await upscale(ctx, inputs, raw);
    });
}

async function upscale(ctx: CliContext, inputs: string[], raw: UpscaleFlags): Promise<void> {
  const scale = parseScale(raw.scale, '--scale');
  const blur = parseBlur(raw.blur, '--blur');
  const flags = parseRestoreFlags(raw);

  // Plan every output first: a clash is reported before any work starts (and before folders are made).
  const outputs = new OutputSet(inputs);
  const suffix = `.x${scale}.png`;
  const outDir =
    raw.out !== undefined && (inputs.length > 1 || isDirectory(raw.out) || /[\\/]$/.test(raw.out)) ? raw.out : undefined;
  const planned: { input: string; output: string }[] = [];
  for (const input of inputs) {
    const output =
      raw.out === undefined ? siblingPath(input, suffix) : outDir !== undefined ? siblingPath(input, suffix, outDir) : raw.out;
    try {
      outputs.check(output, '--out', { folderWillBeMade: outDir !== undefined });
      planned.push({ input, output });
    } catch (error) {
      if (error instanceof UsageError) throw error;
      reportItemFailure(ctx, error);
    }
  }
  if (planned.length === 0) return;

  let api: RestoreApi | undefined;
  try {
    if (outDir !== undefined) await outputs.ensureDir(outDir, '--out');
    if (flags.saveIterations !== undefined) await outputs.ensureDir(flags.saveIterations, '--save-iterations');
    api = await loadRestoreApi();
    const model = await chooseModel(api, 'sr', flags.modelId, scale);
    await startBackend(ctx, flags.backend);
    for (const { input, output } of planned) {
      ctx.signal.throwIfAborted();
      const fileOutputs = new OutputSet(inputs);
      try {
        const { image, bitDepth, metadata } = await readImage(input);
        const name = path.basename(input, path.extname(input));
        await runRestoreJob(
          ctx,
          api,
          {
            input,
            image,
            bitDepth,
            metadata,
            request: { task: 'sr', scale, blur, modelId: model.id, iterations: flags.iterations },
            output,
            iterationsDir: flags.saveIterations,
            iterationName: (k) => `${name}.x${scale}.k${k}.png`,
          },
          fileOutputs,
          { forceProgress: flags.forceProgress, workers: flags.workers },
        );
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        reportItemFailure(ctx, error);
      }
    }
  } finally {
    await api?.unloadModels(); // stops the worker threads, so the process can exit
    // Only the folders this run created and left empty are removed; written files stay.
    await outputs.rollback();
  }
}
