/** `dlnet upscale <in...> --scale <t>`: super-resolution of one photo or a batch. */
import path from 'node:path';
import type { Command } from 'commander';
import { findModel, loadCompute, readImage, readImageSize } from '../../engine/index.js';
import { outputSizeSuffix, planOutputSize, type OutputSizePlan } from '../../base/output-size.js';
import { parseBlurOrAuto } from '../../api/validate.js';
import { addRestoreOptions, parseRestoreFlags, startBackend, type RawRestoreFlags } from '../common.js';
import { info, reportItemFailure, type CliContext } from '../context.js';
import { loadRestoreApi, type RestoreApi } from '../engine-api.js';
import { UsageError } from '../errors.js';
import { isDirectory, OutputSet, siblingPath } from '../outputs.js';
import { runRestoreJob } from '../restore-job.js';
import { addOutputSizeOptions, OUTPUT_SIZE_HELP, parseOutputSizeFlags, type RawSizeFlags } from '../output-size.js';

interface UpscaleFlags extends RawRestoreFlags, RawSizeFlags {
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
        "up to 3 = strong Gaussian blur; auto = suggested from each photo by the blur estimator, which rates its most " +
        'textured crops; printed, and recorded in the output). Outputs never overwrite existing files; a failed file leaves nothing behind ' +
        'and does not stop the batch. ' +
        OUTPUT_SIZE_HELP,
    )
    .argument('<in...>', 'input images (PNG, JPEG, WebP, TIFF, BMP, GIF, AVIF)');
  addOutputSizeOptions(command)
    .option('--blur <u>', 'blur width u of the degradation, from 0 to 3, or auto (suggested from each photo)', '0')
    .option(
      '--out <file|dir>',
      'output file (one input) or folder (default: <name>.x<s>.png, <name>.w<px>.png or <name>.h<px>.png next to each input)',
    );
  addRestoreOptions(command)
    .addHelpText(
      'after',
      '\nExamples:\n  dlnet upscale photo.jpg --scale 2\n  dlnet upscale *.png --scale 4 --blur 1.3 --out upscaled/\n' +
        '  dlnet upscale photo.jpg --width 3840        # x2, x3 or x4 model, then Lanczos-3 to 3840 px wide\n' +
        '  dlnet upscale photo.jpg --scale 1.5         # x2 model, then Lanczos-3 to 1.5 times the size',
    )
    .action(async (inputs: string[], raw: UpscaleFlags) => {
      await upscale(ctx, inputs, raw);
    });
}

async function upscale(ctx: CliContext, inputs: string[], raw: UpscaleFlags): Promise<void> {
  const size = parseOutputSizeFlags(raw, 'upscale');
  const askedBlur = parseBlurOrAuto(raw.blur, '--blur');
  const auto = askedBlur === 'auto';
  const fixedBlur = askedBlur === 'auto' ? 0 : askedBlur;
  const flags = parseRestoreFlags(raw);

  // Plan every output first: a clash is reported before any work starts (and before folders are made).
  const outputs = new OutputSet(inputs);
  const suffix = `${outputSizeSuffix(size.request)}.png`;
  const outDir =
    raw.out !== undefined && (inputs.length > 1 || isDirectory(raw.out) || /[\\/]$/.test(raw.out)) ? raw.out : undefined;
  const planned: { input: string; output: string; plan: OutputSizePlan; modelId: string }[] = [];
  const models = new Map<number, Promise<string>>();
  // The model for a scale, checked once (a named --model must be for that scale).
  const modelFor = (t: 2 | 3 | 4): Promise<string> => {
    let id = models.get(t);
    if (id === undefined) {
      id = findModel('sr', t, flags.modelId).then((m) => m.id);
      models.set(t, id);
    }
    return id;
  };
  // Same model for every input (--scale): a missing one ends the run before anything is read.
  if (size.fixedScale !== undefined) await modelFor(size.fixedScale);
  for (const input of inputs) {
    const output =
      raw.out === undefined ? siblingPath(input, suffix) : outDir !== undefined ? siblingPath(input, suffix, outDir) : raw.out;
    try {
      outputs.check(output, '--out', { folderWillBeMade: outDir !== undefined });
      // The size from the header alone: a size the models cannot reach is refused before any compute.
      const plan = planOutputSize(await readImageSize(input), size.request);
      planned.push({ input, output, plan, modelId: await modelFor(plan.modelScale) });
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
    await startBackend(ctx, flags.backend);
    for (const { input, output, plan, modelId } of planned) {
      ctx.signal.throwIfAborted();
      const fileOutputs = new OutputSet(inputs);
      try {
        const { image, bitDepth, metadata } = await readImage(input);
        const name = path.basename(input, path.extname(input));
        let blur = fixedBlur;
        if (auto) {
          const { suggestBlur } = await loadCompute();
          const s = await suggestBlur(image, { scale: plan.modelScale, signal: ctx.signal });
          blur = s.blur;
          info(
            ctx,
            `${path.basename(input)}: suggested blur u = ${blur}${blur === 0 ? ' (bicubic downscaling)' : ''}, rated by the ` +
              `blur estimator on ${s.crops.length} textured crop${s.crops.length === 1 ? '' : 's'}`,
          );
        }
        await runRestoreJob(
          ctx,
          api,
          {
            input,
            image,
            bitDepth,
            metadata,
            request: { task: 'sr', scale: plan.modelScale, blur, modelId, iterations: flags.iterations },
            output,
            iterationsDir: flags.saveIterations,
            iterationName: (k) => `${name}${outputSizeSuffix(size.request)}.k${k}.png`,
            ...(plan.resampled ? { outputSize: { width: plan.width, height: plan.height } } : {}),
            requestedSize: size.request,
            blurSuggested: auto,
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
