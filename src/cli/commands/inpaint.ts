/** `dlnet inpaint <in> --mask <png>`: fill the regions a mask marks white. */
import type { Command } from 'commander';
import { readMask } from '../../engine/index.js';
import { addRestoreOptions, parseRestoreFlags, type RawRestoreFlags } from '../common.js';
import type { CliContext } from '../context.js';
import { OutputSet } from '../outputs.js';
import { runMaskedFile } from '../restore-job.js';

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
  const outputs = new OutputSet([input, raw.mask]);
  await runMaskedFile(ctx, 'inpaint', 'inpainted', input, raw.out, parseRestoreFlags(raw), outputs, (image) =>
    readMask(raw.mask, image.width, image.height),
  );
}
