/** `dlnet inpaint <in> --mask <png>`: fill the regions a mask marks white. */
import path from 'node:path';
import type { Command } from 'commander';
import { readImage, readMask } from '../../engine/image-io.js';
import { addRestoreOptions, parseRestoreFlags, startBackend, type RawRestoreFlags } from '../common.js';
import type { CliContext } from '../context.js';
import { chooseModel, loadRestoreApi } from '../engine-api.js';
import { OutputSet, siblingPath } from '../outputs.js';
import { runRestoreJob } from '../restore-job.js';

interface InpaintFlags extends RawRestoreFlags {
  mask: string;
  out?: string;
}

export function registerInpaint(program: Command, ctx: CliContext): void {
  const command = program
    .command('inpaint')
    .summary('fill the regions a mask marks (scratches, blemishes, objects)')
    .description(
      'Fill the pixels a mask marks with the DL-Net inpainting model. The mask is an image of the same size ' +
        'where WHITE marks the pixels to fill (50 % threshold; transparent mask pixels count as black).',
    )
    .argument('<in>', 'input image')
    .requiredOption('--mask <png>', 'mask image, same size as the input, white = fill')
    .option('--out <file>', 'output file (default: <name>.inpainted.png next to the input)');
  addRestoreOptions(command)
    .addHelpText('after', '\nExample:\n  dlnet inpaint photo.jpg --mask scratches.png --out photo-fixed.png')
    .action(async (input: string, raw: InpaintFlags) => {
      await inpaint(ctx, input, raw);
    });
}

async function inpaint(ctx: CliContext, input: string, raw: InpaintFlags): Promise<void> {
  const flags = parseRestoreFlags(raw);
  const outputs = new OutputSet([input, raw.mask]);
  const output = raw.out ?? siblingPath(input, '.inpainted.png');
  outputs.check(output);
  try {
    if (flags.saveIterations !== undefined) await outputs.ensureDir(flags.saveIterations, '--save-iterations');
    const { image, bitDepth, metadata } = await readImage(input);
    const mask = await readMask(raw.mask, image.width, image.height);
    const api = await loadRestoreApi();
    const model = await chooseModel(api, 'inpaint', flags.modelId);
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
        request: { task: 'inpaint', mask, modelId: model.id, iterations: flags.iterations },
        output,
        iterationsDir: flags.saveIterations,
        iterationName: (k) => `${name}.inpainted.k${k}.png`,
      },
      outputs,
      { forceProgress: flags.forceProgress },
    );
  } catch (error) {
    await outputs.rollback();
    throw error;
  }
}
