/** `dlnet interpolate <in> (--mask <png> | --alpha)`: recover scattered missing pixels. */
import path from 'node:path';
import type { Command } from 'commander';
import { createImage, type Image, type Mask } from '../../engine/image.js';
import { alphaMask, readImage, readMask } from '../../engine/image-io.js';
import { addRestoreOptions, parseRestoreFlags, startBackend, type RawRestoreFlags } from '../common.js';
import type { CliContext } from '../context.js';
import { chooseModel, loadRestoreApi } from '../engine-api.js';
import { UsageError } from '../errors.js';
import { OutputSet, siblingPath } from '../outputs.js';
import { runRestoreJob } from '../restore-job.js';

interface InterpolateFlags extends RawRestoreFlags {
  mask?: string;
  alpha?: boolean;
  out?: string;
}

/** The restored image with its filled pixels made opaque (used with --alpha). */
export function opaqueWhereFilled(image: Image, mask: Mask): Image {
  if (image.channels !== 2 && image.channels !== 4) return image;
  const out = createImage(image.width, image.height, image.channels);
  out.data.set(image.data);
  const c = image.channels;
  for (let p = 0; p < mask.data.length; p++) if (mask.data[p] === 0) out.data[p * c + c - 1] = 1;
  return out;
}

export function registerInterpolate(program: Command, ctx: CliContext): void {
  const command = program
    .command('interpolate')
    .summary('recover scattered missing pixels (given by a mask or by transparency)')
    .description(
      'Recover scattered missing pixels with the DL-Net interpolation model. Give the missing pixels either as a ' +
        'mask (same size, WHITE = missing) or with --alpha: fully transparent pixels are missing, and they come out ' +
        'filled and opaque.',
    )
    .argument('<in>', 'input image')
    .option('--mask <png>', 'mask image, same size as the input, white = missing')
    .option('--alpha', "use the input's fully transparent pixels as the missing ones")
    .option('--out <file>', 'output file (default: <name>.interpolated.png next to the input)');
  addRestoreOptions(command)
    .addHelpText('after', '\nExamples:\n  dlnet interpolate scan.png --mask holes.png\n  dlnet interpolate cutout.png --alpha')
    .action(async (input: string, raw: InterpolateFlags) => {
      await interpolate(ctx, input, raw);
    });
}

async function interpolate(ctx: CliContext, input: string, raw: InterpolateFlags): Promise<void> {
  if ((raw.mask === undefined) === (raw.alpha !== true)) {
    throw new UsageError('interpolate needs exactly one of --mask <png> or --alpha.');
  }
  const flags = parseRestoreFlags(raw);
  const outputs = new OutputSet(raw.mask === undefined ? [input] : [input, raw.mask]);
  const output = raw.out ?? siblingPath(input, '.interpolated.png');
  outputs.check(output);
  try {
    if (flags.saveIterations !== undefined) await outputs.ensureDir(flags.saveIterations, '--save-iterations');
    const { image, bitDepth, metadata } = await readImage(input);
    const mask = raw.mask === undefined ? alphaMask(image) : await readMask(raw.mask, image.width, image.height);
    const api = await loadRestoreApi();
    const model = await chooseModel(api, 'interpolate', flags.modelId);
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
        request: { task: 'interpolate', mask, modelId: model.id, iterations: flags.iterations },
        output,
        iterationsDir: flags.saveIterations,
        iterationName: (k) => `${name}.interpolated.k${k}.png`,
        finish: raw.alpha === true ? (result) => opaqueWhereFilled(result, mask) : undefined,
      },
      outputs,
      { forceProgress: flags.forceProgress },
    );
  } catch (error) {
    await outputs.rollback();
    throw error;
  }
}
