/** `dlnet models [--json]`: the installed models (resources/models, and training/models in a checkout). */
import type { Command } from 'commander';
import { loadRestoreApi } from '../engine-api.js';
import type { CliContext } from '../context.js';

export function registerModels(program: Command, ctx: CliContext): void {
  program
    .command('models')
    .summary('list the installed models')
    .description('List the models the engine finds: id, task, scale, whether DL-Net is on, and where they are.')
    .option('--json', 'print one JSON array on stdout')
    .action(async (flags: { json?: boolean }) => {
      const api = await loadRestoreApi();
      const models = await api.listModels();
      if (flags.json) {
        ctx.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
        return;
      }
      const idWidth = Math.max(...models.map((m) => m.id.length)) + 1;
      for (const m of models) {
        const what = m.task === 'sr' ? `super-resolution ×${m.scale}` : m.task;
        ctx.stdout.write(
          `${m.id.padEnd(idWidth)} ${what.padEnd(20)} ${m.dlnet ? 'DL-Net' : 'plain '} ${(m.shipped ? 'shipped' : 'comparison').padEnd(10)}  ${m.dir}\n`,
        );
      }
    });
}
