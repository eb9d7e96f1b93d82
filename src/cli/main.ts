#!/usr/bin/env node
// The overlaydiff command: argv → command → library call → exit code.
// Static imports are only what `--version` needs; the command table, the command run and the error
// report load when used (start-up budget, ARCHITECTURE.md D36).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { usageError } from '../errors.js';
import { hasFlag, isGlobalFlag, splitCommandLine } from './global-flags.js';
import { resetReportStream } from './report-stream.js';
import { runVersion } from './version.js';

/**
 * Runs one command line. Global flags (--debug, --json, --no-progress) may come before or after the
 * command name. Exit status: 0 ok, 1 runtime failure, 2 usage error.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const { leading, command, rest } = splitCommandLine(argv);
  resetReportStream();
  try {
    const globals = leading.filter(isGlobalFlag);
    const other = leading.find((arg) => !isGlobalFlag(arg) && !['-h', '--help', '-v', '--version'].includes(arg));
    if (other !== undefined) throw usageError(`unknown option ${JSON.stringify(other)} before the command`);
    if (leading.includes('-v') || leading.includes('--version')) return await runVersion(globals);
    const { findAnyCommand, topUsage } = await import('./builtin-commands.js');
    const help = leading.includes('-h') || leading.includes('--help');
    if (command === undefined) {
      (help ? process.stdout : process.stderr).write(topUsage());
      return help ? 0 : 2;
    }
    const found = findAnyCommand(command);
    if (found === undefined) throw usageError(`unknown command ${JSON.stringify(command)}`);
    return await found.run(help ? ['--help'] : [...globals, ...rest]);
  } catch (err) {
    const [{ findAnyCommand }, { reportError }] = await Promise.all([import('./builtin-commands.js'), import('./error-report.js')]);
    const known = command !== undefined && findAnyCommand(command) !== undefined ? command : undefined;
    return reportError(err, { command: known, json: hasFlag(argv, '--json'), debug: hasFlag(argv, '--debug') });
  }
}

// Run only as a program, not when imported (tests import main()).
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
