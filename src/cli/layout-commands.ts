// `overlaydiff gc | rm | fsck`: argv → store call → report (text or JSON) → exit code.
import { helpRequested, parseCommandArgs } from './command-args.js';
import { OverlaydiffError } from '../errors.js';
import { withInterrupts } from './interrupt.js';
import { jsonReport } from './json-report.js';
import { NO_PROGRESS_OPTION, withProgressLine } from './progress-line.js';
import { fsck, type FsckResult } from '../store/fsck.js';
import { gc, type GcResult } from '../store/gc.js';
import { DEFAULT_GRACE_MS, parseDuration } from '../store/grace.js';
import { removeTag } from '../store/remove-tag.js';
import { GC_USAGE, RM_USAGE, FSCK_USAGE } from './usage-texts.js';

const COMMON_OPTIONS = {
  layout: { type: 'string' },
  json: { type: 'boolean', default: false },
  debug: { type: 'boolean', default: false },
} as const;

function parse(args: readonly string[]) {
  return parseCommandArgs(args, COMMON_OPTIONS);
}

function layoutOf(value: string | boolean | undefined): string {
  if (typeof value !== 'string' || value === '') throw new OverlaydiffError('E_USAGE', '--layout DIR is required');
  return value;
}

export async function runGcCommand(args: readonly string[]): Promise<number> {
  if (helpRequested(args, GC_USAGE)) return 0;
  const { values, positionals } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    ...NO_PROGRESS_OPTION,
    grace: { type: 'string' },
    'dry-run': { type: 'boolean' },
  });
  if (positionals.length > 0) throw new OverlaydiffError('E_USAGE', `unexpected argument ${JSON.stringify(positionals[0])}`);
  const layout = layoutOf(values.layout);
  const graceText = values['grace'];
  const graceMs = typeof graceText === 'string' ? parseDuration(graceText) : DEFAULT_GRACE_MS;
  if (graceMs === undefined) throw new OverlaydiffError('E_USAGE', `--grace must be a duration such as 30m, 1h30m or 0, not ${JSON.stringify(graceText)}`);
  const result = await withProgressLine('gc', 'deleted', values['no-progress'] !== true, (onProgress) =>
    withInterrupts((signal) => gc({ layout, graceMs, dryRun: values['dry-run'] === true, signal, ...(onProgress === undefined ? {} : { onProgress }) })),
  );
  process.stdout.write(formatGcResult(result, values.json === true));
  return 0;
}

export function formatGcResult(result: GcResult, json: boolean): string {
  if (json) return jsonReport(result);
  const verb = result.dryRun ? 'would delete' : 'deleted';
  return [
    `referenced: ${result.referenced} blobs`,
    `${verb}: ${result.deleted.length} blobs, ${result.tempsRemoved.length} temp files`,
    `kept (younger than the grace period or in use): ${result.young.length} blobs, ${result.tempsKept.length} temp files`,
    ...result.deleted.map((d) => `  ${verb} ${d}`),
    '',
  ].join('\n');
}

export async function runRmCommand(args: readonly string[]): Promise<number> {
  if (helpRequested(args, RM_USAGE)) return 0;
  const { values, positionals } = parse(args);
  const layout = layoutOf(values.layout);
  const [tag, ...extra] = positionals;
  if (tag === undefined || extra.length > 0) throw new OverlaydiffError('E_USAGE', 'rm needs exactly one TAG');
  const removed = await withInterrupts((signal) => removeTag({ layout, tag, signal }));
  process.stdout.write(values.json === true ? jsonReport({ tag, removed }) : `removed ${tag} (${removed} index entr${removed === 1 ? 'y' : 'ies'})\n`);
  return 0;
}

export async function runFsckCommand(args: readonly string[]): Promise<number> {
  if (helpRequested(args, FSCK_USAGE)) return 0;
  const { values, positionals } = parseCommandArgs(args, { ...COMMON_OPTIONS, ...NO_PROGRESS_OPTION });
  if (positionals.length > 0) throw new OverlaydiffError('E_USAGE', `unexpected argument ${JSON.stringify(positionals[0])}`);
  const layout = layoutOf(values.layout);
  const result = await withProgressLine('fsck', 'blobs', values['no-progress'] !== true, (onProgress) =>
    withInterrupts((signal) => fsck({ layout, signal, ...(onProgress === undefined ? {} : { onProgress }) })),
  );
  process.stdout.write(formatFsckResult(result, values.json === true));
  return result.ok ? 0 : 1;
}

export function formatFsckResult(result: FsckResult, json: boolean): string {
  if (json) return jsonReport(result);
  return [
    `${result.ok ? 'ok' : 'BROKEN'}: ${result.blobs} blobs (${result.referenced} referenced, ${result.unreferenced} unreferenced), ${result.temps} temp files`,
    ...result.errors.map((e) => `error: ${e}`),
    ...result.warnings.map((w) => `warning: ${w}`),
    '',
  ].join('\n');
}
