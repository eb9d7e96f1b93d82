// Draws a Progress as one self-overwriting line on a terminal; silent when the stream is not a TTY.
import type { Progress, ProgressListener } from '../progress.js';

/** The part of a tty.WriteStream the line needs (tests pass a fake). */
export interface ProgressSink {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): boolean;
}

export interface ProgressLine {
  /** The listener to hand to the library call; undefined when nothing is drawn (not a TTY, or disabled). */
  readonly listener: ProgressListener | undefined;
  /** Erases the line, so what the command prints next starts on a clean line. */
  finish(): void;
}

export const REDRAW_INTERVAL_MS = 100;

/**
 * A progress line for `command` counting `unit` ("entries", "blobs"), drawn on `sink` at most every
 * 100 ms, the first time 100 ms after the start (short runs print nothing). Disabled when `sink`
 * is not a TTY or `enabled` is false, so pipes, files and CI logs never see control characters.
 */
export function progressLine(
  command: string,
  unit: string,
  enabled: boolean,
  sink: ProgressSink = process.stderr,
  now: () => number = () => performance.now(),
): ProgressLine {
  if (!enabled || sink.isTTY !== true) return { listener: undefined, finish: () => {} };
  const start = now();
  let drawn = start;
  let shown = false;
  return {
    listener: (progress) => {
      const t = now();
      if (t - drawn < REDRAW_INTERVAL_MS) return;
      drawn = t;
      shown = true;
      const text = `overlaydiff ${command}: ${formatProgress(progress, unit, (t - start) / 1000)}`;
      // A pty without a size (as under script(1)) reports 0 columns.
      const width = sink.columns !== undefined && sink.columns > 0 ? sink.columns : 80;
      sink.write(`\r${text.slice(0, width - 1)}\x1b[K`);
    },
    finish: () => {
      if (shown) sink.write('\r\x1b[K');
    },
  };
}

/**
 * `12,345 entries, 1.2 GiB, 345.6 MiB/s`, or `1,234 blobs, 617/s` for work without bytes; the
 * rate is over the whole run so far.
 */
export function formatProgress(progress: Progress, unit: string, seconds: number): string {
  const items = `${progress.items.toLocaleString('en-US')} ${unit}`;
  if (progress.bytes === 0) return `${items}, ${Math.round(seconds > 0 ? progress.items / seconds : 0).toLocaleString('en-US')}/s`;
  return `${items}, ${formatBytes(progress.bytes)}, ${formatBytes(seconds > 0 ? progress.bytes / seconds : 0)}/s`;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** The parseArgs option every long-running command takes, and its usage line. */
export const NO_PROGRESS_OPTION = { 'no-progress': { type: 'boolean', default: false } } as const;
export const NO_PROGRESS_USAGE = '  --no-progress             no progress line on stderr (drawn only when stderr is a terminal)\n';

/** Runs `run` with a progress line's listener and erases the line afterwards, whatever the outcome. */
export async function withProgressLine<T>(
  command: string,
  unit: string,
  enabled: boolean,
  run: (listener: ProgressListener | undefined) => Promise<T>,
  sink: ProgressSink = process.stderr,
  now: () => number = () => performance.now(),
): Promise<T> {
  const line = progressLine(command, unit, enabled, sink, now);
  try {
    return await run(line.listener);
  } finally {
    line.finish();
  }
}
