/** `dlnet info <file...> [--json]`: what made an output — the recipe it carries as XMP (src/base/recipe.ts). */
import path from 'node:path';
import type { Command } from 'commander';
import { readRecipe, type FileRecipe } from '../../engine/index.js';
import { recipeLines } from '../../base/recipe.js';
import { reportItemFailure, type CliContext } from '../context.js';

export function registerInfo(program: Command, ctx: CliContext): void {
  program
    .command('info')
    .summary('print the recipe an output carries')
    .description(
      'Print what made an image that DL-Net Studio wrote: task, scale and size, blur (and whether it was suggested), ' +
        'K and γ, model id and the sha256 of its weights, the mask hash (inpainting, interpolation) and the app version, ' +
        'read from the XMP inside the file (PNG, JPEG, WebP, TIFF). Says so when a file carries none. Reads no pixels.',
    )
    .argument('<file...>', 'images to inspect')
    .option('--json', 'print one JSON object per file on stdout (recipe null when there is none)')
    .action(async (files: string[], flags: { json?: boolean }) => {
      for (const file of files) {
        let found: FileRecipe;
        try {
          found = await readRecipe(file);
        } catch (error) {
          reportItemFailure(ctx, error);
          continue;
        }
        if (flags.json === true) {
          const { recipe, ...rest } = found;
          ctx.stdout.write(`${JSON.stringify({ file, ...rest, recipe: recipe ?? null })}\n`);
          continue;
        }
        const name = path.basename(file);
        const head = `${name}: ${found.format.toUpperCase()}, ${found.width} × ${found.height}`;
        if (found.recipe === undefined) {
          ctx.stdout.write(
            `${head}; it carries no DL-Net recipe (${found.hasXmp ? 'its XMP has none' : 'it has no XMP metadata'}: not written by DL-Net Studio, or its metadata was removed).\n`,
          );
          continue;
        }
        ctx.stdout.write(`${head}\n`);
        for (const [label, value] of recipeLines(found.recipe)) ctx.stdout.write(`  ${label.padEnd(11)} ${value}\n`);
      }
    });
}
