// Validates diff options at the edge and resolves them into what the pipeline needs.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { dialectFor, isXattrNamespace, type Dialect } from '../classify/namespace.js';
import { COMPRESSIONS, isCompression, resolveCompressionLevel } from '../blob/compress.js';
import { OverlaydiffError, ioError } from '../errors.js';
import type { ProgressListener } from '../progress.js';
import type { Compression, DiffOptions } from '../types.js';
import { createExcludeFilter, type ExcludeFilter } from '../walk/exclude.js';

export interface DiffPlan {
  /** Upperdirs, topmost first (several are squashed). */
  readonly uppers: readonly Buffer[];
  readonly exclude?: ExcludeFilter;
  readonly lowers: readonly Buffer[];
  /** The mount's workdir, whose `index` the kernel reads with index=on. */
  readonly workdir?: Buffer;
  readonly dialect: Dialect;
  readonly output: string | Writable;
  readonly compression: Compression;
  readonly compressionLevel: number;
  readonly sourceDateEpoch?: bigint;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

/** Checks every option, naming the offending path or value; throws OverlaydiffError. */
export function planDiff(options: DiffOptions): DiffPlan {
  const namespace = options.xattrNamespace ?? 'trusted';
  if (!isXattrNamespace(namespace)) {
    throw new OverlaydiffError('E_USAGE', `invalid xattr namespace ${JSON.stringify(namespace)}: use trusted or user`);
  }
  const compression = options.compression ?? 'none';
  if (!isCompression(compression)) {
    throw new OverlaydiffError('E_USAGE', `invalid compression ${JSON.stringify(compression)}: use ${COMPRESSIONS.join(', ')}`);
  }
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
    uppers: upperList(options.upper).map((upper) => resolveDirectory('upperdir', upper)),
    ...excludeOption(options.exclude),
    lowers: (options.lowers ?? []).map((lower) => resolveDirectory('lowerdir', lower)),
    ...workdirOption(options.workdir, options.upper),
    dialect: dialectFor(namespace),
    output,
    compression,
    compressionLevel: resolveCompressionLevel(compression, options.compressionLevel),
    ...(epoch === undefined ? {} : { sourceDateEpoch: BigInt(epoch) }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
}

// Compiled here so a bad pattern is a usage error before any output exists.
function excludeOption(patterns: readonly string[] | undefined): { exclude?: ExcludeFilter } {
  const exclude = createExcludeFilter(patterns ?? []);
  return exclude === undefined ? {} : { exclude };
}

function workdirOption(workdir: string | undefined, upper: DiffOptions['upper']): { workdir?: Buffer } {
  if (workdir === undefined) return {};
  if (Array.isArray(upper) && upper.length > 1) throw new OverlaydiffError('E_USAGE', 'a workdir belongs to one upperdir: it cannot be given when squashing several');
  return { workdir: resolveDirectory('workdir', workdir) };
}

function upperList(upper: DiffOptions['upper']): readonly unknown[] {
  const uppers: readonly unknown[] = Array.isArray(upper) ? upper : [upper];
  if (uppers.length === 0) throw new OverlaydiffError('E_USAGE', 'at least one upperdir is needed');
  return uppers;
}

/** The absolute path of an existing directory, as bytes; E_USAGE / E_NOT_FOUND / E_NOT_DIRECTORY naming `role`. */
export function resolveDirectory(role: string, path: unknown): Buffer {
  if (typeof path !== 'string' || path.length === 0) {
    throw new OverlaydiffError('E_USAGE', `${role} must be a non-empty path`);
  }
  const abs = resolve(path);
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch (err) {
    throw ioError(`use ${role}`, abs, err);
  }
  if (!isDir) throw new OverlaydiffError('E_NOT_DIRECTORY', `${abs}: ${role} is not a directory`, { path: abs });
  return Buffer.from(abs);
}
