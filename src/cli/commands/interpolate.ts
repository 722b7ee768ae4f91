/** `dlnet interpolate <in> (--mask <png> | --alpha)`: recover scattered missing pixels. */
import type { Command } from 'commander';
import { alphaMask, readMask } from '../../engine/index.js';
import { addRestoreOptions, parseRestoreFlags, type RawRestoreFlags } from '../common.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { OutputSet } from '../outputs.js';
import { runMaskedFile } from '../restore-job.js';

interface InterpolateFlags extends RawRestoreFlags {
  mask?: string;
  alpha?: boolean;
  out?: string;
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
  const maskFile = raw.mask;
  const outputs = new OutputSet(maskFile === undefined ? [input] : [input, maskFile]);
  // With --alpha the engine's composite makes every filled pixel opaque.
  await runMaskedFile(ctx, 'interpolate', 'interpolated', input, raw.out, parseRestoreFlags(raw), outputs, (image) =>
    maskFile === undefined ? alphaMask(image) : readMask(maskFile, image.width, image.height),
  );
}
