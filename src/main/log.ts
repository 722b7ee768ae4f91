/** The main process's log file: <logs folder>/main.log, appended, one line per entry. */
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { streamLogger, type Logger } from '../server/log.js';

export function fileLogger(dir: string): { log: Logger; file: string } {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'main.log');
  const stream = createWriteStream(file, { flags: 'a' });
  return { log: streamLogger((line) => stream.write(line), true), file };
}
