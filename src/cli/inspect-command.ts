// `overlaydiff inspect`: argv → InspectOptions → inspectLayer() → a listing (or JSON) and lint findings on stdout.
import { helpRequested, parseCommandArgs, xattrNamespaceFlag } from './command-args.js';
import { withInterrupts } from './interrupt.js';
import { displayPath, usageError } from '../errors.js';
import { inspectLayer, type InspectEntry, type InspectOptions, type InspectResult } from '../inspect/inspect.js';
import { inspectImage, type InspectImageOptions } from '../inspect/inspect-image.js';
import type { TarEntryType } from '../types.js';
import { jsonReport } from './json-report.js';
import { splitPathList } from './path-list.js';
import { INSPECT_USAGE } from './usage-texts.js';

export type InspectCommand =
  | { readonly kind: 'layer'; readonly options: Omit<InspectOptions, 'signal'>; readonly json: boolean }
  | { readonly kind: 'image'; readonly options: Omit<InspectImageOptions, 'signal'>; readonly json: boolean };

/** Parses `inspect` arguments without touching the filesystem; throws E_USAGE on anything malformed. */
export function parseInspectArgs(args: readonly string[]): InspectCommand {
  const { values, positionals } = parseCommandArgs(args, {
    lint: { type: 'boolean', default: false },
    lower: { type: 'string' },
    'xattr-namespace': { type: 'string' },
    layout: { type: 'string' },
    tag: { type: 'string' },
    json: { type: 'boolean', default: false },
    debug: { type: 'boolean', default: false },
  });
  const [layer, ...extra] = positionals;
  if (extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const namespace = xattrNamespaceFlag(values['xattr-namespace']);
  if (!values.lint && (values.lower !== undefined || namespace !== undefined)) throw usageError('--lower and --xattr-namespace go with --lint');
  if (values.layout !== undefined) {
    if (layer !== undefined) throw usageError('give either LAYER or --layout, not both');
    if (values.layout === '') throw usageError('--layout needs a directory');
    if (values.lower !== undefined || namespace !== undefined)
      throw usageError("--lower and --xattr-namespace are for a layer file; in a layout a layer's lowers are the layers below it");
    return {
      kind: 'image',
      options: { layout: values.layout, lint: values.lint, ...(values.tag === undefined ? {} : { tag: values.tag }) },
      json: values.json,
    };
  }
  if (values.tag !== undefined) throw usageError('--tag goes with --layout');
  if (layer === undefined || layer === '') throw usageError('inspect needs LAYER or --layout DIR');
  const lowers = values.lower === undefined ? [] : splitPathList('--lower', values.lower);
  return {
    kind: 'layer',
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

/** Runs the inspection; returns the output text in pieces and whether anything was found (exit status 1). */
export async function runInspect(command: InspectCommand, signal: AbortSignal): Promise<{ text: string[]; found: boolean }> {
  return command.kind === 'layer' ? runLayerInspect(command.options, command.json, signal) : runImageInspect(command.options, command.json, signal);
}

async function runLayerInspect(options: Omit<InspectOptions, 'signal'>, json: boolean, signal: AbortSignal): Promise<{ text: string[]; found: boolean }> {
  const entries: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const layer = options.layer === '-' ? (process.stdin as AsyncIterable<Buffer>) : options.layer;
  const onEntry = (entry: InspectEntry): void => {
    if (json) entries.push(entryJson(entry));
    else lines.push(`${formatEntry(entry)}\n`);
  };
  const result = await inspectLayer({ ...options, layer, signal, onEntry });
  const found = result.findings.length > 0;
  if (json) return { text: [jsonReport(resultJson(result, entries, options.lint === true))], found };
  lines.push(`# ${result.entries} entries, ${result.compression}, digest ${result.digest}, diffID ${result.diffID}\n`);
  if (options.lint === true) lines.push(...findingLines(result));
  return { text: lines, found };
}

async function runImageInspect(options: Omit<InspectImageOptions, 'signal'>, json: boolean, signal: AbortSignal): Promise<{ text: string[]; found: boolean }> {
  const entries: Record<string, unknown>[][] = [];
  const lines: string[] = [];
  let header = -1;
  const onEntry = (layer: number, entry: InspectEntry): void => {
    if (json) (entries[layer] ??= []).push(entryJson(entry));
    else {
      if (header !== layer) lines.push(`# layer ${layer}\n`);
      header = layer;
      lines.push(`${formatEntry(entry)}\n`);
    }
  };
  const result = await inspectImage({ ...options, signal, onEntry });
  const lint = options.lint === true;
  const found = result.layers.some((l) => l.mismatches.length > 0 || l.findings.length > 0);
  if (json) {
    const layers = result.layers.map((l) => ({
      layer: l.layer,
      mediaType: l.mediaType,
      ...resultJson(l, entries[l.layer] ?? [], lint),
      mismatches: l.mismatches,
    }));
    return { text: [jsonReport({ tag: result.tag, manifest: result.manifest, layers })], found };
  }
  for (const l of result.layers) {
    lines.push(`# layer ${l.layer}: ${l.entries} entries, ${l.mediaType}, digest ${l.digest}, diffID ${l.diffID}\n`);
    for (const m of l.mismatches) lines.push(`mismatch: layer ${l.layer}: ${m}\n`);
    if (lint) lines.push(...findingLines(l, `layer ${l.layer}: `));
  }
  lines.push(`# image ${result.tag}: ${result.layers.length} layer(s), manifest ${result.manifest}\n`);
  return { text: lines, found };
}

function resultJson(result: InspectResult, entries: Record<string, unknown>[], lint: boolean): Record<string, unknown> {
  const findings = result.findings.map((f) => ({ rule: f.rule, index: f.index, path: displayPath(f.path), message: f.message }));
  return { compression: result.compression, digest: result.digest, diffID: result.diffID, entries, ...(lint ? { findings } : {}) };
}

function findingLines(result: InspectResult, prefix = ''): string[] {
  return [
    ...result.findings.map((f) => `lint: ${prefix}${f.rule}: ${f.message}\n`),
    `# lint: ${prefix}${result.findings.length === 0 ? 'clean' : `${result.findings.length} finding(s)`}\n`,
  ];
}

/** The whole `inspect` command after its name. Exit status: 0, or 1 when lint or the image check found something. */
export async function runInspectCommand(args: readonly string[]): Promise<number> {
  if (helpRequested(args, INSPECT_USAGE)) return 0;
  const command = parseInspectArgs(args);
  return withInterrupts(async (signal) => {
    const { text, found } = await runInspect(command, signal);
    await writeText(text);
    return found ? 1 : 0;
  });
}

// stdout with backpressure, without ending it (writeTo ends its stream; stdout must stay open).
async function writeText(pieces: readonly string[]): Promise<void> {
  for (const piece of pieces) {
    if (!process.stdout.write(piece)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
}
