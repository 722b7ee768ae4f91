#!/usr/bin/env node
// The `dlnet` command: runs the compiled CLI (npm install runs `prepare` = tsc into dist/).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('dlnet: the CLI is not built yet; run `npm run build` (or `npm install`) first.\n');
  process.exit(1);
}
const { run } = await import(entry.href);
process.exitCode = await run(process.argv);
