// Validates diff options at the edge and resolves them into what the pipeline needs.
import { Writable } from 'node:stream';
import { dialectFor, checkXattrNamespace, type Dialect } from '../classify/namespace.js';
import { COMPRESSIONS, isCompression, mediaTypeFor, resolveCompressionLevel } from '../blob/compress.js';
import { WRITABLE_MEDIA_TYPES, compressionOfMediaType } from '../blob/media-types.js';
import { OverlaydiffError } from '../errors.js';
import { resolveDirectory } from '../fsio/directory.js';
import type { GuardedTree } from '../fsio/output-target.js';
import { assertXattrNamespaceAccess } from '../fsio/xattr-access.js';
import type { ProgressListener } from '../progress.js';
import type { ChangesOptions, Compression, DiffOptions, XattrNamespace } from '../types.js';
import { createExcludeFilter, type ExcludeFilter } from '../walk/exclude.js';

/** The snapshot a change stream reads, validated. */
export interface SnapshotPlan {
  /** Upperdirs, topmost first (several are squashed). */
  readonly uppers: readonly Buffer[];
  readonly exclude?: ExcludeFilter;
  readonly lowers: readonly Buffer[];
  /** The mount's workdir, whose `index` the kernel reads with index=on. */
  readonly workdir?: Buffer;
  readonly dialect: Dialect;
  readonly signal?: AbortSignal;
}

export interface DiffPlan extends SnapshotPlan {
  readonly output: string | Writable;
  readonly compression: Compression;
  readonly mediaType: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly compressionLevel: number;
  readonly sourceDateEpoch?: bigint;
  readonly onProgress?: ProgressListener;
}

/** Checks the snapshot's options, naming the offending path or value; throws OverlaydiffError. */
export function planSnapshot(options: ChangesOptions): SnapshotPlan {
  const namespace = checkXattrNamespace(options.xattrNamespace);
  assertXattrNamespaceAccess(namespace, 'diff');
  return snapshotPlan(options, namespace);
}

function snapshotPlan(options: ChangesOptions, namespace: XattrNamespace): SnapshotPlan {
  return {
    ...resolveSnapshotDirs(options),
    ...excludeOption(options.exclude),
    ...workdirOption(options.workdir, options.upper),
    dialect: dialectFor(namespace),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
}

/** Checks every option, naming the offending path or value; throws OverlaydiffError. */
export function planDiff(options: DiffOptions): DiffPlan {
  const namespace = checkXattrNamespace(options.xattrNamespace);
  assertXattrNamespaceAccess(namespace, 'diff');
  const { compression, mediaType } = resolveMediaType(options.compression, options.mediaType);
  const output = options.output;
  if (typeof output !== 'string' && !(output instanceof Writable)) {
    throw new OverlaydiffError('E_USAGE', 'output must be a file path or a Writable stream');
  }
  if (typeof output === 'string' && output.length === 0) throw new OverlaydiffError('E_USAGE', 'output path is empty');
  const epoch = options.sourceDateEpoch;
  if (epoch !== undefined && (!Number.isSafeInteger(epoch) || epoch < 0)) {
    throw new OverlaydiffError('E_USAGE', `invalid source date epoch ${epoch}: use whole seconds since 1970`);
  }
  return {
    ...snapshotPlan(options, namespace),
    output,
    compression,
    mediaType,
    annotations: resolveAnnotations(options.annotations),
    compressionLevel: resolveCompressionLevel(compression, options.compressionLevel),
    ...(epoch === undefined ? {} : { sourceDateEpoch: BigInt(epoch) }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  };
}

// The compression and media type: either option alone decides, both must agree.
function resolveMediaType(compressionOption: unknown, mediaTypeOption: unknown): { compression: Compression; mediaType: string } {
  if (compressionOption !== undefined && !isCompression(compressionOption)) {
    throw new OverlaydiffError('E_USAGE', `invalid compression ${JSON.stringify(compressionOption)}: use ${COMPRESSIONS.join(', ')}`);
  }
  if (mediaTypeOption === undefined) {
    const compression = compressionOption ?? 'none';
    return { compression, mediaType: mediaTypeFor(compression) };
  }
  const named = typeof mediaTypeOption === 'string' ? compressionOfMediaType(mediaTypeOption) : undefined;
  if (named === undefined) {
    throw new OverlaydiffError('E_USAGE', `unsupported layer media type ${JSON.stringify(mediaTypeOption)}: use one of ${WRITABLE_MEDIA_TYPES.join(', ')}`);
  }
  if (compressionOption !== undefined && compressionOption !== named) {
    throw new OverlaydiffError(
      'E_USAGE',
      `compression ${compressionOption} contradicts media type ${String(mediaTypeOption)}, which is ${named === 'none' ? 'uncompressed' : named}`,
    );
  }
  return { compression: named, mediaType: mediaTypeOption as string };
}

function resolveAnnotations(annotations: unknown): Readonly<Record<string, string>> {
  if (annotations === undefined) return {};
  if (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations)) {
    throw new OverlaydiffError('E_USAGE', 'annotations must be an object of string values');
  }
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value !== 'string') throw new OverlaydiffError('E_USAGE', `annotation ${JSON.stringify(key)} must be a string, not ${typeof value}`);
  }
  return annotations as Record<string, string>;
}

/** The upperdirs and lowerdirs of `options` as absolute byte paths; throws when one is not a directory. */
export function resolveSnapshotDirs(options: Pick<DiffOptions, 'upper' | 'lowers'>): Pick<DiffPlan, 'uppers' | 'lowers'> {
  return {
    uppers: upperList(options.upper).map((upper) => resolveDirectory('upperdir', upper)),
    lowers: (options.lowers ?? []).map((lower) => resolveDirectory('lowerdir', lower)),
  };
}

/** The directories a diff reads: an output inside one of them would be read into its own layer. */
export function snapshotTrees(dirs: Pick<DiffPlan, 'uppers' | 'lowers'>): GuardedTree[] {
  return [...dirs.uppers.map((dir) => ({ role: 'upperdir', dir })), ...dirs.lowers.map((dir) => ({ role: 'lowerdir', dir }))];
}

// Compiled here so a bad pattern is a usage error before any output exists.
function excludeOption(patterns: readonly string[] | undefined): { exclude?: ExcludeFilter } {
  const exclude = createExcludeFilter(patterns ?? []);
  return exclude === undefined ? {} : { exclude };
}

function workdirOption(workdir: string | undefined, upper: DiffOptions['upper']): { workdir?: Buffer } {
  if (workdir === undefined) return {};
  if (Array.isArray(upper) && upper.length > 1)
    throw new OverlaydiffError('E_USAGE', 'a workdir belongs to one upperdir: it cannot be given when squashing several');
  return { workdir: resolveDirectory('workdir', workdir) };
}

function upperList(upper: DiffOptions['upper']): readonly unknown[] {
  const uppers: readonly unknown[] = Array.isArray(upper) ? upper : [upper];
  if (uppers.length === 0) throw new OverlaydiffError('E_USAGE', 'at least one upperdir is needed');
  return uppers;
}
