#!/usr/bin/env node
// The overlaydiff command: argv → options → library call → exit code.
import { helpRequested } from './command-args.js';
import { withInterrupts } from './interrupt.js';
import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OverlaydiffError } from '../errors.js';
import { DIFF_USAGE, formatDescriptor, parseDiffArgs, runDiff } from './diff-command.js';
import { runApplyCommand } from './apply-command.js';
import { runFlattenCommand } from './flatten-command.js';
import { runVerifyCommand } from './verify-command.js';
import { runInspectCommand } from './inspect-command.js';
import { withProgressLine } from './progress-line.js';
import { runFsckCommand, runGcCommand, runRmCommand } from './layout-commands.js';
import { runServeCommand } from './serve-command.js';

const USAGE = `usage: overlaydiff <command> [options]

commands:
  diff      write the OCI layer for an overlay upperdir (see: overlaydiff diff --help)
  apply     apply an OCI layer to a directory, plain or as an overlay lower (see: overlaydiff apply --help)
  flatten   apply layers in order into one canonical layer or a directory (see: overlaydiff flatten --help)
  verify    check a layer against the snapshot's merged view (see: overlaydiff verify --help)
  inspect   list a layer's members and lint it (see: overlaydiff inspect --help)
  gc        delete unreferenced blobs of an OCI image layout (see: overlaydiff gc --help)
  rm        remove a tag from an OCI image layout (see: overlaydiff rm --help)
  fsck      check an OCI image layout's blobs, references and diffIDs (see: overlaydiff fsck --help)
  serve     serve containerd 2.x's diff API as its differ (see: overlaydiff serve --help)

options:
  --help      show this help
  --version   show the version
`;

/** Exit status: 0 ok, 1 runtime failure, 2 usage error. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const debug = argv.includes('--debug');
  try {
    if (command === undefined || command === '--help' || command === '-h') {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version') {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    if (command === 'apply') return await runApplyCommand(rest);
    if (command === 'flatten') return await runFlattenCommand(rest);
    if (command === 'verify') return await runVerifyCommand(rest);
    if (command === 'inspect') return await runInspectCommand(rest);
    if (command === 'gc') return await runGcCommand(rest);
    if (command === 'rm') return await runRmCommand(rest);
    if (command === 'fsck') return await runFsckCommand(rest);
    if (command === 'serve') return await runServeCommand(rest);
    if (command !== 'diff') throw new OverlaydiffError('E_USAGE', `unknown command ${JSON.stringify(command)}`);
    if (helpRequested(rest, DIFF_USAGE)) return 0;
    const parsed = parseDiffArgs(rest, process.env, process.stdout.isTTY === true);
    const { descriptor, mismatches, layout } = await withProgressLine('diff', 'entries', parsed.progress, (onProgress) =>
      withInterrupts((signal) => runDiff(parsed, signal, {}, onProgress)),
    );
    // The descriptor never mixes with a layer written to stdout.
    const report = parsed.outputPath === undefined && parsed.layout === undefined ? process.stderr : process.stdout;
    report.write(formatDescriptor(descriptor, parsed.json, layout));
    if (mismatches !== undefined && mismatches.length > 0) {
      for (const m of mismatches) process.stderr.write(`overlaydiff: verify: ${m.path}: ${m.what}\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    return reportError(err, debug);
  }
}

function reportError(err: unknown, debug: boolean): number {
  const usageError = err instanceof OverlaydiffError ? err.code === 'E_USAGE' : isParseArgsError(err);
  const message = err instanceof OverlaydiffError ? `${err.message} [${err.code}]` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`overlaydiff: ${message}\n`);
  if (usageError) process.stderr.write(`Try 'overlaydiff --help'.\n`);
  if (debug && err instanceof Error && err.stack !== undefined) process.stderr.write(`${err.stack}\n`);
  return usageError ? 2 : 1;
}

// node:util parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed options.
function isParseArgsError(err: unknown): boolean {
  return err instanceof TypeError && 'code' in err && typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS');
}

function version(): string {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
  return pkg.version;
}

// Run only as a program, not when imported (tests import main()).
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
