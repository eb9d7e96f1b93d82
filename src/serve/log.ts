// Structured log lines: one JSON object per line, for journald or a log collector.

export type LogLevel = 'info' | 'error';

/** Where log lines go; `writeLogLine` to a stream by default. */
export type Logger = (level: LogLevel, msg: string, fields?: Readonly<Record<string, unknown>>) => void;

/** A Logger writing `{"time","level","msg",...fields}` lines to `out` (undefined fields left out). */
export function jsonLogger(out: NodeJS.WritableStream): Logger {
  return (level, msg, fields = {}) => {
    out.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
}

/** A mount as one short string for a log line: `overlay upperdir=... lowerdir=...`. */
export function describeMounts(mounts: ReadonlyArray<{ type: string; source: string; options: readonly string[] }>): string[] {
  return mounts.map((m) => [m.type, m.source, m.options.join(',')].filter((s) => s !== '').join(' '));
}
