/**
 * Progress on stderr: cli-progress bars when stderr is a terminal (or with --progress), plain
 * lines otherwise, so logs and CI output stay readable. stdout is left for results (eval tables).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Current item's progress, 0..1, with an optional short detail ("iteration 2/5"). */
  update(fraction: number, detail?: string): void;
  /** A line of information that must not be overwritten by the bar. */
  log(line: string): void;
  /** Ends the bar (or prints the final plain line). */
  stop(): void;
}

export interface ProgressOptions {
  /** Shown before the bar / at the start of each plain line (e.g. the file name). */
  readonly label: string;
  /** Force bars even when stderr is not a TTY. */
  readonly force?: boolean;
}

export function wantsBars(stream: NodeJS.WritableStream, force: boolean | undefined): boolean {
  return force === true || (stream as NodeJS.WriteStream).isTTY === true;
}

/** A progress display for one item on `stream`. */
export function createProgress(stream: NodeJS.WritableStream, options: ProgressOptions): Progress {
  if (!wantsBars(stream, options.force)) {
    let lastDetail: string | undefined;
    return {
      update(fraction, detail) {
        // One line per new step; no percentages spam in logs.
        if (detail !== undefined && detail !== lastDetail) {
          lastDetail = detail;
          stream.write(`${options.label}: ${detail}\n`);
        } else if (fraction >= 1 && lastDetail !== 'done') {
          lastDetail = 'done';
        }
      },
      log(line) {
        stream.write(`${line}\n`);
      },
      stop() {
        /* plain mode prints nothing at the end; the command reports the result */
      },
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WriteStream,
      format: `${options.label} [{bar}] {percentage}% {detail}`,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      noTTYOutput: true,
      notTTYSchedule: 1000,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(100, 0, { detail: '' });
  return {
    update(fraction, detail) {
      bar.update(Math.round(Math.min(1, Math.max(0, fraction)) * 100), { detail: detail ?? '' });
    },
    log(line) {
      (stream as NodeJS.WriteStream).write(`\r\x1b[K${line}\n`);
      bar.render();
    },
    stop() {
      bar.stop();
    },
  };
}
