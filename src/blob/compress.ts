// The compressor stage for a layer blob, and the media type it produces.
import type { Transform } from 'node:stream';
import { OverlaydiffError } from '../errors.js';
import type { Compression } from '../types.js';
import { GZIP_BLOCK_SIZE, createParallelGzip } from './parallel-gzip.js';
import { ZSTD_DEFAULT_LEVEL, ZSTD_MAX_LEVEL, ZSTD_MIN_LEVEL, createZstdCompressor } from './zstd.js';

/** The OCI media type of an uncompressed layer. */
export const MEDIA_TYPE_TAR = 'application/vnd.oci.image.layer.v1.tar';
/** The OCI media type of a gzip-compressed layer. */
export const MEDIA_TYPE_TAR_GZIP = `${MEDIA_TYPE_TAR}+gzip`;
/** The OCI media type of a zstd-compressed layer. */
export const MEDIA_TYPE_TAR_ZSTD = `${MEDIA_TYPE_TAR}+zstd`;

const MEDIA_TYPES: Record<Compression, string> = {
  none: MEDIA_TYPE_TAR,
  gzip: MEDIA_TYPE_TAR_GZIP,
  zstd: MEDIA_TYPE_TAR_ZSTD,
};

/** Level range and default per algorithm ('none' takes no level). */
const LEVELS: Record<Exclude<Compression, 'none'>, { min: number; max: number; default: number }> = {
  gzip: { min: 1, max: 9, default: 6 },
  zstd: { min: ZSTD_MIN_LEVEL, max: ZSTD_MAX_LEVEL, default: ZSTD_DEFAULT_LEVEL },
};

export const COMPRESSIONS: readonly Compression[] = Object.keys(MEDIA_TYPES) as Compression[];

export function isCompression(value: unknown): value is Compression {
  return typeof value === 'string' && Object.hasOwn(MEDIA_TYPES, value);
}

export function mediaTypeFor(compression: Compression): string {
  return MEDIA_TYPES[compression];
}

/**
 * The level to compress with: `level` checked against the algorithm's range (gzip 1–9, zstd 1–19),
 * or the algorithm's default (gzip 6, zstd 3). 'none' ignores it. Throws E_USAGE when out of range.
 */
export function resolveCompressionLevel(compression: Compression, level: number | undefined): number {
  if (compression === 'none') return 0;
  const range = LEVELS[compression];
  if (level === undefined) return range.default;
  if (!Number.isInteger(level) || level < range.min || level > range.max) {
    throw new OverlaydiffError('E_USAGE', `invalid ${compression} level ${level}: use ${range.min} to ${range.max}`);
  }
  return level;
}

/**
 * A compressing Transform, or undefined for 'none'. The output is deterministic for a given level
 * and library version, whatever the input chunking, thread count or timing. gzip is one member with
 * mtime 0 and no file name, deflated in GZIP_BLOCK_SIZE blocks on several threads: its digest
 * changes only with the deflate engine (libdeflate in the addon, else Node's zlib: see
 * `defaultGzipEngine`), the engine's version, or that block size. zstd's multi-threaded mode gives the same
 * bytes whatever the worker count (digest changes only with the libzstd that the pinned zstd-napi
 * bundles).
 */
export function createCompressor(compression: Compression, level?: number): Transform | undefined {
  const resolved = resolveCompressionLevel(compression, level);
  switch (compression) {
    case 'none':
      return undefined;
    case 'gzip':
      return createParallelGzip(resolved, GZIP_BLOCK_SIZE);
    case 'zstd':
      return createZstdCompressor(resolved);
  }
}
