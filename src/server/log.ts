/** The backend's logger: one line per entry; Electron writes to a file, `dlnet serve` to stderr. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export function streamLogger(write: (line: string) => void, debug = false): Logger {
  const line = (level: string, message: string) => write(`${new Date().toISOString()} ${level} ${message}\n`);
  return {
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m, e) => line('error', debug && e instanceof Error && e.stack ? `${m}\n${e.stack}` : m),
  };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
