// The version command (overlaydiff version, --version, -v) and the package's version, read from its package.json.
// It loads no more than it needs: `--version` is the start-up budget (ARCHITECTURE.md D36).
import { readFileSync } from 'node:fs';
import { usageError } from '../errors.js';
import { parseCommandArgs } from './command-args.js';
import { jsonReport } from './json-report.js';

export const VERSION_USAGE = `usage: overlaydiff version [--json]

Prints the version of overlaydiff (also: overlaydiff --version, overlaydiff -v).
`;

/** The version in package.json (two levels above src/cli and dist/cli). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Prints the version (as JSON with --json); `version --help` prints its usage. */
export async function runVersion(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { help: { type: 'boolean', short: 'h' } });
  if (values.help === true) {
    process.stdout.write(VERSION_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw usageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  process.stdout.write(values.json ? jsonReport({ version: packageVersion() }) : `${packageVersion()}\n`);
  return 0;
}
