// `overlaydiff inspect`: argv → InspectOptions → inspectLayer() → a listing (or JSON) and lint findings on stdout.
import { withInterrupts } from './interrupt.js';
import { parseArgs } from 'node:util';
import { displayPath, usageError } from '../errors.js';
import { inspectLayer, type InspectEntry, type InspectOptions, type InspectResult } from '../inspect/inspect.js';
import type { TarEntryType } from '../types.js';
import { splitPathList } from './path-list.js';

export const INSPECT_USAGE = `usage: overlaydiff inspect LAYER [--json] [--lint [--lower DIR[:DIR...]] [--xattr-namespace NS]]

Lists the members of the OCI layer LAYER (tar, tar+gzip or tar+zstd, detected): type, mode, owner,
size, whiteout/opaque classification and xattr names.

Options:
  --lint                    also flag what a correct layer should not have: overlay-private xattrs,
                            char-device (0:0) whiteouts, duplicate entries, children before parents,
                            non-canonical order, empty xattr records; with --lower also whiteouts of
                            paths the lowers lack and opaque markers on dirs the lowers lack.
                            Exit status 1 when anything is found
  --lower DIR[:DIR...]      the lowerdirs the layer applies on, topmost first (escape ':' as '\\:')
  --xattr-namespace NS      trusted (default) or user: the namespace of the lowers' overlay xattrs
  --json                    print {compression, digest, diffID, entries, findings} as JSON
  --debug                   print stack traces on errors
`;

export interface InspectCommand {
  readonly options: Omit<InspectOptions, 'signal'>;
  readonly json: boolean;
}

/** Parses `inspect` arguments without touching the filesystem; throws E_USAGE on anything malformed. */
export function parseInspectArgs(args: readonly string[]): InspectCommand {
  const { values, positionals } = parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: true,
    options: {
      lint: { type: 'boolean', default: false },
      lower: { type: 'string' },
      'xattr-namespace': { type: 'string' },
      json: { type: 'boolean', default: false },
      debug: { type: 'boolean', default: false },
    },
  });
  const [layer, ...extra] = positionals;
  if (layer === undefined || layer === '') throw usageError('inspect needs LAYER');
  if (extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const namespace = values['xattr-namespace'];
  if (namespace !== undefined && namespace !== 'trusted' && namespace !== 'user') {
    throw usageError(`--xattr-namespace must be trusted or user, not ${JSON.stringify(namespace)}`);
  }
  if (!values.lint && (values.lower !== undefined || namespace !== undefined)) throw usageError('--lower and --xattr-namespace go with --lint');
  const lowers = values.lower === undefined ? [] : splitPathList(values.lower);
  return {
    options: {
      layer,
      lint: values.lint,
      ...(lowers.length === 0 ? {} : { lowers }),
      ...(namespace === undefined ? {} : { xattrNamespace: namespace }),
    },
    json: values.json,
  };
}

const TYPE_LETTERS: Record<TarEntryType, string> = { file: '-', hardlink: 'h', symlink: 'l', char: 'c', block: 'b', dir: 'd', fifo: 'p' };

/** One listing line: `TYPE MODE UID:GID SIZE PATH [-> LINK] [(classification)] [xattrs: ...]`. */
export function formatEntry(entry: InspectEntry): string {
  const mode = entry.mode.toString(8).padStart(4, '0');
  const size = entry.type === 'char' || entry.type === 'block' ? `${entry.devMajor},${entry.devMinor}` : String(entry.size);
  const link = entry.linkTarget === undefined ? '' : ` ${entry.type === 'hardlink' ? '=>' : '->'} ${displayPath(entry.linkTarget)}`;
  const kind =
    entry.kind === 'whiteout'
      ? `  (whiteout of ${displayPath(entry.target ?? Buffer.alloc(0))})`
      : entry.kind === 'opaque'
        ? `  (opaque: ${entry.target === undefined || entry.target.length === 0 ? '/' : displayPath(entry.target)})`
        : entry.kind === 'char-whiteout'
          ? '  (overlayfs char-device whiteout)'
          : '';
  const xattrs = entry.xattrs.length === 0 ? '' : `  xattrs: ${entry.xattrs.map((n) => displayPath(n)).join(', ')}`;
  return `${TYPE_LETTERS[entry.type]} ${mode} ${entry.uid}:${entry.gid} ${size} ${displayPath(entry.path)}${link}${kind}${xattrs}`;
}

/** The entry as JSON-safe values (paths escaped like messages, sizes as numbers). */
export function entryJson(entry: InspectEntry): Record<string, unknown> {
  return {
    path: displayPath(entry.path),
    type: entry.type,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    size: Number(entry.size),
    ...(entry.linkTarget === undefined ? {} : { linkTarget: displayPath(entry.linkTarget) }),
    ...(entry.type === 'char' || entry.type === 'block' ? { devMajor: entry.devMajor, devMinor: entry.devMinor } : {}),
    kind: entry.kind,
    ...(entry.target === undefined ? {} : { target: displayPath(entry.target) }),
    xattrs: entry.xattrs.map((n) => displayPath(n)),
  };
}

/** Runs the inspection; returns the output text in pieces (listing, then summary and findings). */
export async function runInspect(command: InspectCommand, signal: AbortSignal): Promise<{ text: string[]; result: InspectResult }> {
  const entries: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const result = await inspectLayer({ ...command.options, signal }, (entry) => {
    if (command.json) entries.push(entryJson(entry));
    else lines.push(`${formatEntry(entry)}\n`);
  });
  if (command.json) {
    const findings = result.findings.map((f) => ({ rule: f.rule, index: f.index, path: displayPath(f.path), message: f.message }));
    const doc = { compression: result.compression, digest: result.digest, diffID: result.diffID, entries, ...(command.options.lint === true ? { findings } : {}) };
    return { text: [`${JSON.stringify(doc, null, 2)}\n`], result };
  }
  lines.push(`# ${result.entries} entries, ${result.compression}, digest ${result.digest}, diffID ${result.diffID}\n`);
  if (command.options.lint === true) {
    for (const f of result.findings) lines.push(`lint: ${f.rule}: ${f.message}\n`);
    lines.push(`# lint: ${result.findings.length === 0 ? 'clean' : `${result.findings.length} finding(s)`}\n`);
  }
  return { text: lines, result };
}


/** The whole `inspect` command after its name. Exit status: 0, or 1 when --lint found something. */
export async function runInspectCommand(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(INSPECT_USAGE);
    return 0;
  }
  const command = parseInspectArgs(args);
  return withInterrupts(async (signal) => {
    const { text, result } = await runInspect(command, signal);
    await writeText(text);
    return result.findings.length > 0 ? 1 : 0;
  });
}

// stdout with backpressure, without ending it (writeTo ends its stream; stdout must stay open).
async function writeText(pieces: readonly string[]): Promise<void> {
  for (const piece of pieces) {
    if (!process.stdout.write(piece)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
}
