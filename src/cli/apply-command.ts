// `overlaydiff apply`: argv → ApplyOptions → apply() → a summary (or JSON) on stdout.
import { helpRequested, parseCommandArgs, xattrNamespaceFlag } from './command-args.js';
import { withInterrupts } from './interrupt.js';
import type { ProgressListener } from '../progress.js';
import { NO_PROGRESS_OPTION, withProgressLine } from './progress-line.js';
import { apply, type ApplyOptions, type ApplyResult } from '../apply/apply.js';
import { isSha256Digest } from '../blob/digest.js';
import { usageError } from '../errors.js';
import { jsonReport } from './json-report.js';
import { pathArgument } from './argv-bytes.js';
import { APPLY_USAGE } from './usage-texts.js';

export interface ApplyCommand {
  readonly layer: string;
  readonly dir: string;
  readonly options: Omit<ApplyOptions, 'layer' | 'dir' | 'signal' | 'onProgress'>;
  readonly json: boolean;
  /** Draw progress on stderr when it is a terminal (off with --no-progress). */
  readonly progress: boolean;
}

/** Parses `apply` arguments without touching the filesystem; throws E_USAGE on anything malformed. */
export function parseApplyArgs(args: readonly string[]): ApplyCommand {
  const { values, positionals } = parseCommandArgs(args, {
    format: { type: 'string', default: 'plain' },
    'xattr-namespace': { type: 'string', default: 'trusted' },
    'same-owner': { type: 'boolean' },
    'diff-id': { type: 'string' },
    digest: { type: 'string' },
    json: { type: 'boolean', default: false },
    ...NO_PROGRESS_OPTION,
    debug: { type: 'boolean', default: false },
  });
  const [layer, dir, ...extra] = positionals;
  if (layer === undefined || dir === undefined || layer === '' || dir === '') throw usageError('apply needs LAYER and DIR');
  if (extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const format = values.format;
  if (format !== 'plain' && format !== 'overlay') throw usageError(`--format must be plain or overlay, not ${JSON.stringify(format)}`);
  const namespace = xattrNamespaceFlag(values['xattr-namespace']);
  const diffID = values['diff-id'];
  if (diffID !== undefined && !isSha256Digest(diffID)) throw usageError(`--diff-id must be sha256:<64 hex digits>, not ${JSON.stringify(diffID)}`);
  const digest = values.digest;
  if (digest !== undefined && !isSha256Digest(digest)) throw usageError(`--digest must be sha256:<64 hex digits>, not ${JSON.stringify(digest)}`);
  return {
    layer,
    dir,
    options: {
      format,
      xattrNamespace: namespace,
      ...(values['same-owner'] === true ? { sameOwner: true } : {}),
      ...(diffID === undefined ? {} : { diffID }),
      ...(digest === undefined ? {} : { digest }),
    },
    json: values.json,
    progress: !values['no-progress'],
  };
}

/** Runs the apply; LAYER `-` reads the blob from stdin. */
export async function runApply(command: ApplyCommand, signal: AbortSignal, onProgress?: ProgressListener): Promise<ApplyResult> {
  const layer = command.layer === '-' ? (process.stdin as AsyncIterable<Buffer>) : command.layer;
  try {
    return await apply({ ...command.options, layer, dir: pathArgument(command.dir), signal, ...(onProgress === undefined ? {} : { onProgress }) });
  } finally {
    if (command.layer === '-') process.stdin.destroy(); // an open pipe would keep the process alive after an abort
  }
}

/** The result for people, or as JSON. */
export function formatApplyResult(result: ApplyResult, json: boolean): string {
  if (json) return jsonReport(result);
  return [
    `diffID:    ${result.diffID}`,
    `digest:    ${result.digest} (${result.compression})`,
    `entries:   ${result.entries} (${result.whiteouts} whiteouts, ${result.opaqueDirs} opaque dirs)`,
    ...(result.privateXattrsDropped > 0
      ? [`warning:   ${result.privateXattrsDropped} overlay-private xattr(s) in the layer left out (trusted.overlay.*, user.overlay.*, user.fuseoverlayfs.*)`]
      : []),
    ...(result.devicesSkipped > 0 ? [`warning:   ${result.devicesSkipped} device(s) not created (needs root)`] : []),
    ...(result.ownershipSkipped > 0
      ? [`warning:   ${result.ownershipSkipped} owner(s) not applied (needs root, or ids this user namespace does not map)`]
      : []),
    '',
  ].join('\n');
}

/** The whole `apply` command after its name: help, parse, run with SIGINT/SIGTERM aborting, print. Returns the exit status. */
export async function runApplyCommand(args: readonly string[]): Promise<number> {
  if (helpRequested(args, APPLY_USAGE)) return 0;
  const command = parseApplyArgs(args);
  const result = await withProgressLine('apply', 'entries', command.progress, (onProgress) =>
    withInterrupts((signal) => runApply(command, signal, onProgress)),
  );
  process.stdout.write(formatApplyResult(result, command.json));
  return 0;
}
