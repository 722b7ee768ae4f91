/** `dlnet bench`: the performance figures and their targets in one run (table, or --json). */
import type { Command } from 'commander';
import { loadCompute, type BackendPreference } from '../../engine/index.js';
import type { CliContext } from '../context.js';

interface BenchFlags {
  json?: boolean;
  quick?: boolean;
  tiny?: boolean;
  workers?: string;
  backend?: string;
}

export function registerBench(program: Command, ctx: CliContext): void {
  program
    .command('bench')
    .summary('measure throughput, DL-Net overhead, scaling, first-frame latency and memory')
    .description(
      'One run of every performance figure, as ratios measured in the same run: conv ceiling of the backend, end-to-end ' +
        "MP/s and fraction of the ceiling, DL-Net K=5/K=1, 1 vs 2 workers beside the machine's own scaling, first frame " +
        'of a 512×512 region, peak memory of ×4 on a 24 MP output, batch images/s with --jobs 1 and 2.',
    )
    .option('--json', 'print the figures as one JSON object on stdout')
    .option('--quick', 'smaller photos (labelled as such): a fast smoke run')
    .option('--tiny', 'smoke-test sizes (every figure present, none meaningful)')
    .option('--workers <n>', 'worker threads for one image (default: min(2, cores))')
    .option('--backend <name>', 'auto, tensorflow, onnxruntime or wasm', 'auto')
    .action(async (flags: BenchFlags) => {
      const { formatBench, runBench } = await loadCompute();
      const result = await runBench({
        quick: flags.quick ?? false,
        tiny: flags.tiny ?? false,
        workers: flags.workers === undefined ? undefined : Number(flags.workers),
        backend: (flags.backend ?? 'auto') as BackendPreference,
        log: flags.json ? undefined : (line) => ctx.stderr.write(`${line}\n`),
        signal: ctx.signal,
      });
      ctx.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `${formatBench(result)}\n`);
    });
}
