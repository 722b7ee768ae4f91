/**
 * The main process's log: electron-log writes <the OS's log folder>/main.log (Linux ~/.config/<app>/logs,
 * macOS ~/Library/Logs/<app>, Windows %APPDATA%\<app>\logs) and rotates it at 1 MiB to main.old.log,
 * so a long-lived installation never grows it without bound.
 */
import electronLog from 'electron-log/main';
import { streamLogger, type Logger } from '../server/log.js';

export const LOG_MAX_BYTES = 1024 * 1024;

export function fileLogger(): { log: Logger; file: string } {
  const file = electronLog.transports.file;
  file.fileName = 'main.log';
  file.maxSize = LOG_MAX_BYTES;
  file.format = '{text}';
  file.level = 'info';
  electronLog.transports.console.level = false;
  // streamLogger formats the line (timestamp, level, stack only when debugging); electron-log stores and rotates it.
  const log = streamLogger((line) => electronLog.info(line.trimEnd()), true);
  return { log, file: file.getFile().path };
}
