// How the CLI reports a failure: `overlaydiff: <message>` on stderr, or {"error": {...}} with --json; and its exit status.
import { OverlaydiffError } from '../errors.js';
import { jsonReport } from './json-report.js';
import { reportStream } from './report-stream.js';

export interface ErrorReportOptions {
  /** The command being run, for the hint on usage errors. */
  readonly command: string | undefined;
  readonly json: boolean;
  /** Print the stack trace (stderr). */
  readonly debug: boolean;
}

/** Exit status: 2 for usage errors, 1 for everything else. */
export function reportError(err: unknown, options: ErrorReportOptions): number {
  const usage = err instanceof OverlaydiffError ? err.code === 'E_USAGE' : isParseArgsError(err);
  const code = err instanceof OverlaydiffError ? err.code : usage ? 'E_USAGE' : 'E_INTERNAL';
  const message = cliMessage(err instanceof Error ? err.message : String(err));
  const hint = options.command === undefined ? 'overlaydiff --help' : `overlaydiff ${options.command} --help`;
  if (options.json) {
    const path = err instanceof OverlaydiffError ? (err.path ?? null) : null;
    reportStream().write(jsonReport({ error: { code, message, path } }));
  } else {
    process.stderr.write(`overlaydiff: ${err instanceof OverlaydiffError ? `${message} [${code}]` : message}\n`);
    if (usage) process.stderr.write(`Try '${hint}'.\n`);
  }
  if (options.debug && err instanceof Error && err.stack !== undefined) process.stderr.write(`${err.stack}\n`);
  return usage ? 2 : 1;
}

// The library names its options (option `workdir`, option `xattrNamespace`: 'user'); the CLI names its flags.
const FLAGS: Readonly<Record<string, string>> = {
  upper: '--upper',
  lowers: '--lower',
  workdir: '--workdir',
  xattrNamespace: '--xattr-namespace',
  base: '--base',
  tag: '--tag',
  address: '--address',
};

/** `message` with each library option it names (option `name`, with an optional `: 'value'`) as the CLI flag. */
export function cliMessage(message: string): string {
  return message.replace(/option `(\w+)`(?:: '([^']*)')?/g, (text, name: string, value: string | undefined) => {
    const flag = Object.hasOwn(FLAGS, name) ? FLAGS[name] : undefined;
    if (flag === undefined) return text;
    return value === undefined ? flag : `${flag} ${value}`;
  });
}

// node:util parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed options.
function isParseArgsError(err: unknown): boolean {
  return err instanceof TypeError && 'code' in err && typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS');
}
