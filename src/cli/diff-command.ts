// `overlaydiff diff`: argv → DiffOptions → diff() → descriptor on stdout (or stderr when the layer is).
import { parseArgs } from 'node:util';
import { diff } from '../diff/diff.js';
import { OverlaydiffError } from '../errors.js';
import type { DiffOptions, LayerDescriptor } from '../types.js';
import { splitPathList } from './path-list.js';

export const DIFF_USAGE = `usage: overlaydiff diff --upper DIR [--lower DIR[:DIR...]] [options]

Writes the OCI layer (tar changeset) that turns the lowers' merged view into the snapshot's.

  --upper DIR               the overlay upperdir
  --lower DIR[:DIR...]      the lowerdirs, topmost first as in overlayfs lowerdir= (escape ':' as '\\:');
                            omit for a first layer
  --xattr-namespace NS      trusted (default, the kernel's) or user (a mount with userxattr);
                            only this namespace's overlay.opaque/whiteout attributes are honoured
  --compression ALG         none (default) or gzip
  --level N                 gzip level 1-9 (default 6)
  --source-date-epoch N     clamp mtimes to N seconds (default: $SOURCE_DATE_EPOCH when set)
  -o, --output FILE|-       write the layer to FILE (atomically) or - for stdout; without -o the
                            layer goes to stdout unless it is a terminal
  --json                    print the descriptor as JSON
  --debug                   print stack traces on errors
`;

export interface DiffCommand {
  readonly options: Omit<DiffOptions, 'output' | 'signal'>;
  /** A file path, or undefined for stdout. */
  readonly outputPath: string | undefined;
  readonly json: boolean;
}

/** Parses `diff` arguments; throws E_USAGE on anything malformed. */
export function parseDiffArgs(args: readonly string[], env: NodeJS.ProcessEnv, stdoutIsTTY: boolean): DiffCommand {
  const { values, positionals } = parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: true,
    options: {
      upper: { type: 'string' },
      lower: { type: 'string' },
      'xattr-namespace': { type: 'string', default: 'trusted' },
      compression: { type: 'string', default: 'none' },
      level: { type: 'string' },
      'source-date-epoch': { type: 'string' },
      output: { type: 'string', short: 'o' },
      json: { type: 'boolean', default: false },
      debug: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw usage(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (values.upper === undefined) throw usage('--upper is required');
  const namespace = values['xattr-namespace'];
  if (namespace !== 'trusted' && namespace !== 'user') throw usage(`--xattr-namespace must be trusted or user, not ${JSON.stringify(namespace)}`);
  const compression = values.compression;
  if (compression !== 'none' && compression !== 'gzip') throw usage(`--compression must be none or gzip, not ${JSON.stringify(compression)}`);
  const epochText = values['source-date-epoch'] ?? nonEmpty(env['SOURCE_DATE_EPOCH']);
  const output = values.output;
  if (output === undefined && stdoutIsTTY) throw usage('refusing to write a tar to a terminal: use -o FILE or redirect stdout');
  return {
    options: {
      upper: values.upper,
      lowers: values.lower === undefined ? [] : splitPathList(values.lower),
      xattrNamespace: namespace,
      compression,
      ...(values.level === undefined ? {} : { compressionLevel: wholeNumber('--level', values.level) }),
      ...(epochText === undefined ? {} : { sourceDateEpoch: wholeNumber('source date epoch', epochText) }),
    },
    outputPath: output === undefined || output === '-' ? undefined : output,
    json: values.json,
  };
}

/** Runs the diff; the layer goes to `outputPath` or to stdout. */
export async function runDiff(command: DiffCommand, signal: AbortSignal): Promise<LayerDescriptor> {
  return diff({ ...command.options, output: command.outputPath ?? process.stdout, signal });
}

/** The descriptor for people, or as JSON. */
export function formatDescriptor(descriptor: LayerDescriptor, json: boolean): string {
  if (json) return `${JSON.stringify(descriptor, null, 2)}\n`;
  const s = descriptor.stats;
  return [
    `mediaType: ${descriptor.mediaType}`,
    `digest:    ${descriptor.digest}`,
    `size:      ${descriptor.size}`,
    `diffID:    ${descriptor.diffID}`,
    `entries:   ${s.entries} (${s.whiteouts} whiteouts, ${s.opaqueDirs} opaque dirs, ${s.hardlinks} hardlinks, ${s.bytes} data bytes)`,
    ...(s.emptyXattrsDropped > 0 ? [`warning:   ${s.emptyXattrsDropped} empty xattr value(s) left out (PAX cannot carry them)`] : []),
    ...(s.socketsSkipped > 0 ? [`note:      ${s.socketsSkipped} socket(s) left out (a tar cannot hold them)`] : []),
    '',
  ].join('\n');
}

function wholeNumber(what: string, text: string): number {
  if (!/^\d+$/.test(text)) throw usage(`${what} must be a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function usage(message: string): OverlaydiffError {
  return new OverlaydiffError('E_USAGE', message);
}
