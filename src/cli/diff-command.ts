// `overlaydiff diff`: argv → DiffOptions → diff() → descriptor on stdout (or stderr when the layer is).
import { helpRequested, parseCommandArgs, xattrNamespaceFlag } from './command-args.js';
import { formatDescriptor } from './diff-report.js';
import { withInterrupts } from './interrupt.js';
import { reportStream, reserveStdoutForData } from './report-stream.js';
import { createReadStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Mismatch } from '../verify/verify.js';
import { COMPRESSIONS, isCompression, resolveCompressionLevel } from '../blob/compress.js';
import { diff } from '../diff/diff.js';
import { ioError, OverlaydiffError, usageError } from '../errors.js';
import { writeAtomically } from '../fsio/atomic-write.js';
import { assertOutsideTrees, type GuardedTree } from '../fsio/output-target.js';
import { resolveSnapshotDirs, snapshotTrees } from '../diff/options.js';
import { parseMountsDocument, resolveMounts } from '../mounts/containerd-mounts.js';
import { snapshotAtMountpoint } from '../mounts/mountinfo.js';
import type { LayoutDiffResult } from '../store/write-image.js';
import type { DiffOptions, DiffResult, XattrNamespace } from '../types.js';
import { splitPathList } from './path-list.js';
import { withProgressLine } from './progress-line.js';
import type { ProgressListener } from '../progress.js';
import { DIFF_USAGE } from './usage-texts.js';

/** Where the snapshot comes from: plain paths, a containerd mounts file, or a live mount point. */
export type DiffInput =
  | { readonly kind: 'paths'; readonly upper: string | readonly string[]; readonly lowers: readonly string[]; readonly workdir?: string }
  | { readonly kind: 'mounts'; readonly file: string }
  | { readonly kind: 'mountpoint'; readonly dir: string };

/** The diff options that do not depend on where the snapshot comes from. */
export type CommonDiffOptions = Omit<DiffOptions, 'output' | 'signal' | 'upper' | 'lowers' | 'xattrNamespace'>;

export interface DiffCommand {
  readonly input: DiffInput;
  /** The namespace given with --xattr-namespace, if any. */
  readonly xattrNamespace: XattrNamespace | undefined;
  readonly options: CommonDiffOptions;
  /** A file path, or undefined for stdout. */
  readonly outputPath: string | undefined;
  readonly json: boolean;
  /** Check the written layer against the mounted snapshot (--verify, with --mountpoint). */
  readonly verify: boolean;
  /** Store the layer as an image in an OCI layout (--layout DIR [--tag NAME] [--base TAG]). */
  readonly layout: LayoutTarget | undefined;
  /** Draw progress on stderr when it is a terminal (off with --no-progress). */
  readonly progress: boolean;
}

export interface LayoutTarget {
  readonly dir: string;
  readonly tag: string | undefined;
  readonly base: string | undefined;
}

/** Where a resolved snapshot's paths are read from; injectable for tests. */
export interface ResolveEnvironment {
  /** Default: /proc/self/mountinfo. */
  readonly mountinfoPath?: string;
  /** Default: /sys/module/overlay/parameters. */
  readonly sysfsDir?: string;
}

/** Parses `diff` arguments without touching the filesystem; throws E_USAGE on anything malformed. */
export function parseDiffArgs(args: readonly string[], env: NodeJS.ProcessEnv, stdoutIsTTY: boolean): DiffCommand {
  const { values, positionals } = parseCommandArgs(args, {
    upper: { type: 'string' },
    lower: { type: 'string' },
    workdir: { type: 'string' },
    mounts: { type: 'string' },
    mountpoint: { type: 'string' },
    'xattr-namespace': { type: 'string' },
    exclude: { type: 'string', multiple: true },
    compression: { type: 'string' },
    level: { type: 'string' },
    'source-date-epoch': { type: 'string' },
    output: { type: 'string', short: 'o' },
    verify: { type: 'boolean', default: false },
    layout: { type: 'string' },
    tag: { type: 'string' },
    base: { type: 'string' },
  });
  if (positionals.length > 0) throw usageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const input = diffInput(values);
  if (values.verify && input.kind !== 'mountpoint') throw usageError('--verify needs --mountpoint: the mounted snapshot is what the layer is checked against');
  if (values.verify && (values.output === undefined || values.output === '-')) throw usageError('--verify needs -o FILE: the layer is read back');
  const namespace = xattrNamespaceFlag(values['xattr-namespace']);
  const compression = values.compression ?? 'none';
  if (values.level !== undefined && compression === 'none') {
    throw usageError(`--level needs --compression gzip or zstd${values.compression === undefined ? '' : ', not none'}: an uncompressed layer has no level`);
  }
  if (!isCompression(compression)) throw usageError(`--compression must be ${COMPRESSIONS.join(', ')}, not ${JSON.stringify(compression)}`);
  const exclude = values.exclude ?? [];
  if (exclude.includes('')) throw usageError('--exclude needs a glob pattern, got an empty one');
  const epochFlag = values['source-date-epoch'];
  const [epochSource, epochText] =
    epochFlag !== undefined ? ['--source-date-epoch', epochFlag] : ['SOURCE_DATE_EPOCH (environment)', nonEmpty(env['SOURCE_DATE_EPOCH'])];
  const output = values.output;
  const layout = layoutTarget(values.layout, values.tag, values.base, output);
  if (output === undefined && stdoutIsTTY && layout === undefined) throw usageError('refusing to write a tar to a terminal: use -o FILE or redirect stdout');
  return {
    input,
    xattrNamespace: namespace,
    options: {
      compression,
      ...(exclude.length === 0 ? {} : { exclude }),
      ...(values.level === undefined ? {} : { compressionLevel: resolveCompressionLevel(compression, wholeNumber('--level', values.level)) }),
      ...(epochText === undefined ? {} : { sourceDateEpoch: wholeNumber(epochSource, epochText) }),
    },
    outputPath: output === undefined || output === '-' ? undefined : output,
    json: values.json,
    verify: values.verify,
    layout,
    progress: !values['no-progress'],
  };
}

function layoutTarget(dir: string | undefined, tag: string | undefined, base: string | undefined, output: string | undefined): LayoutTarget | undefined {
  if (dir === undefined) {
    if (tag !== undefined || base !== undefined) throw usageError(`${tag !== undefined ? '--tag' : '--base'} needs --layout DIR`);
    return undefined;
  }
  if (dir === '') throw usageError('--layout needs a directory');
  if (output === '-') throw usageError('--layout with -o -: the descriptor goes to stdout; give -o FILE for a copy of the layer');
  return { dir, tag, base };
}

function diffInput(values: { upper?: string; lower?: string; workdir?: string; mounts?: string; mountpoint?: string }): DiffInput {
  const alternatives = (['mounts', 'mountpoint'] as const).filter((name) => values[name] !== undefined);
  const paths = (['upper', 'lower', 'workdir'] as const).filter((name) => values[name] !== undefined);
  if (alternatives.length + (paths.length > 0 ? 1 : 0) > 1) {
    const given = [...paths, ...alternatives].map((name) => `--${name}`).join(', ');
    throw usageError(`${given}: give --upper [--lower], --mounts or --mountpoint, not several`);
  }
  if (values.mounts !== undefined) return { kind: 'mounts', file: nonEmptyValue('--mounts', values.mounts) };
  if (values.mountpoint !== undefined) return { kind: 'mountpoint', dir: nonEmptyValue('--mountpoint', values.mountpoint) };
  if (values.upper === undefined) throw usageError('--upper is required (or --mounts FILE, or --mountpoint DIR)');
  const uppers = splitPathList('--upper', values.upper);
  if (uppers.length === 0) throw usageError('--upper needs at least one directory');
  return {
    kind: 'paths',
    upper: uppers.length === 1 ? uppers[0]! : uppers,
    lowers: values.lower === undefined ? [] : splitPathList('--lower', values.lower),
    ...(values.workdir === undefined ? {} : { workdir: nonEmptyValue('--workdir', values.workdir) }),
  };
}

/**
 * Turns the command's input into diff options: reads the mounts file or the mount table, checks the
 * namespace given on the command line against the mount's. Throws E_USAGE for a malformed mounts
 * file or a contradiction, E_NOT_FOUND/E_IO when a file cannot be read.
 */
export function resolveDiffOptions(command: DiffCommand, environment: ResolveEnvironment = {}): Omit<DiffOptions, 'output' | 'signal'> {
  const { input, xattrNamespace: explicit } = command;
  const sysfs = environment.sysfsDir === undefined ? {} : { sysfsDir: environment.sysfsDir };
  switch (input.kind) {
    case 'paths':
      return {
        ...command.options,
        upper: input.upper,
        lowers: input.lowers,
        ...(input.workdir === undefined ? {} : { workdir: input.workdir }),
        xattrNamespace: explicit ?? 'trusted',
      };
    case 'mounts': {
      const { upper, lower } = readMountsFile(input.file);
      const snapshot = resolveMounts(lower, upper, { ...sysfs, ...(explicit === undefined ? {} : { xattrNamespace: explicit }) });
      const workdir = snapshot.workdir === undefined ? {} : { workdir: snapshot.workdir };
      return { ...command.options, upper: snapshot.upper, lowers: snapshot.lowers, ...workdir, xattrNamespace: snapshot.xattrNamespace };
    }
    case 'mountpoint': {
      const mountinfo = environment.mountinfoPath === undefined ? {} : { mountinfoPath: environment.mountinfoPath };
      const snapshot = snapshotAtMountpoint(input.dir, { ...sysfs, ...mountinfo });
      if (explicit !== undefined && explicit !== snapshot.xattrNamespace) {
        throw usageError(
          `--xattr-namespace ${explicit} contradicts the overlay at ${input.dir}, which ${snapshot.xattrNamespace === 'user' ? 'has' : 'lacks'} userxattr`,
        );
      }
      const workdir = snapshot.features.index && snapshot.workdir !== undefined ? { workdir: snapshot.workdir } : {};
      return { ...command.options, upper: snapshot.upperdir, lowers: snapshot.lowers, ...workdir, xattrNamespace: snapshot.xattrNamespace };
    }
  }
}

function readMountsFile(file: string): ReturnType<typeof parseMountsDocument> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw ioError('read the mounts file', file, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new OverlaydiffError('E_USAGE', `${file}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { path: file, cause: err });
  }
  try {
    return parseMountsDocument(json);
  } catch (err) {
    if (err instanceof OverlaydiffError) throw new OverlaydiffError(err.code, `${file}: ${err.message}`, { path: file, cause: err });
    throw err;
  }
}

/**
 * Resolves the snapshot and runs the diff; the layer goes to `outputPath` or to stdout. With
 * `verify`, the written layer is then checked against the mounted snapshot.
 */
export async function runDiff(
  command: DiffCommand,
  signal: AbortSignal,
  environment: ResolveEnvironment = {},
  onProgress?: ProgressListener,
): Promise<{ result: DiffResult; mismatches?: Mismatch[]; layout?: LayoutDiffResult }> {
  const options = { ...resolveDiffOptions(command, environment), ...(onProgress === undefined ? {} : { onProgress }) };
  // Writing below the mounted overlay writes into its upperdir, i.e. into the layer.
  const mounted: GuardedTree[] = command.input.kind === 'mountpoint' ? [{ role: 'overlay mounted at', dir: command.input.dir }] : [];
  if (command.outputPath !== undefined) assertOutsideTrees(command.outputPath, mounted);
  if (command.layout !== undefined) assertOutsideTrees(command.layout.dir, mounted, 'image layout');
  let layout: LayoutDiffResult | undefined;
  let result: DiffResult;
  if (command.layout === undefined) result = await diff({ ...options, output: command.outputPath ?? process.stdout, signal });
  else {
    // The store and verify load only when asked for: a plain diff is the start-up budget (ARCHITECTURE.md D36).
    const [{ diffToLayout }, { blobPath }] = await Promise.all([import('../store/write-image.js'), import('../store/layout-fs.js')]);
    const { dir, tag, base } = command.layout;
    layout = await diffToLayout({ ...options, layout: dir, ...(tag === undefined ? {} : { tag }), ...(base === undefined ? {} : { base }), signal });
    result = layout.layer;
    const digest = result.descriptor.digest;
    const copy = command.outputPath;
    if (copy !== undefined) {
      const trees = snapshotTrees(resolveSnapshotDirs(options));
      await writeAtomically(copy, (out) => pipeline(createReadStream(blobPath(dir, digest)), out), trees);
    }
  }
  const withLayout = layout === undefined ? {} : { layout };
  if (!command.verify || command.input.kind !== 'mountpoint' || command.outputPath === undefined) return { result, ...withLayout };
  const { verify } = await import('../verify/verify.js');
  const { mismatches } = await verify({
    layer: command.outputPath,
    lowers: options.lowers ?? [],
    merged: command.input.dir,
    xattrNamespace: options.xattrNamespace ?? 'trusted',
    signal,
  });
  return { result, mismatches, ...withLayout };
}

/** The whole `diff` command after its name: help, parse, run with SIGINT/SIGTERM aborting, report. Returns the exit status. */
export async function runDiffCommand(args: readonly string[]): Promise<number> {
  if (helpRequested(args, DIFF_USAGE)) return 0;
  const parsed = parseDiffArgs(args, process.env, process.stdout.isTTY === true);
  // The descriptor never mixes with a layer written to stdout.
  const toStdout = parsed.outputPath === undefined && parsed.layout === undefined;
  if (toStdout) reserveStdoutForData();
  const { result, mismatches, layout } = await withProgressLine('diff', 'entries', parsed.progress, (onProgress) =>
    withInterrupts((signal) => runDiff(parsed, signal, {}, onProgress)),
  );
  reportStream().write(formatDescriptor(result, parsed.json, layout));
  if (mismatches !== undefined && mismatches.length > 0) {
    for (const m of mismatches) process.stderr.write(`overlaydiff: verify: ${m.path}: ${m.what}\n`);
    return 1;
  }
  return 0;
}

function wholeNumber(what: string, text: string): number {
  if (!/^\d+$/.test(text)) throw usageError(`${what} must be a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

function nonEmptyValue(flag: string, value: string): string {
  if (value === '') throw usageError(`${flag} needs a value`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
