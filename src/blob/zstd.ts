// zstd streams for layer blobs: a compressing Transform for diff, a decompressing one for apply.
import type { Transform } from 'node:stream';
import zstd from 'zstd-napi';

/** zstd levels accepted without `--ultra` (the zstd CLI's range); 3 is zstd's own default. */
export const ZSTD_MIN_LEVEL = 1;
export const ZSTD_MAX_LEVEL = 19;
export const ZSTD_DEFAULT_LEVEL = 3;

// libzstd's multi-threaded mode produces the same bytes for any nbWorkers >= 1 (only 0, the
// single-threaded mode, differs), so the worker count is free to follow the machine while the blob
// digest stays a function of (input, level, the libzstd bundled with the pinned zstd-napi).
const WORKERS = 2;

/**
 * A streaming zstd compressor: one frame with a content checksum, compressed by libzstd worker
 * threads off the event loop. Output is deterministic for a given level and zstd-napi version.
 */
export function createZstdCompressor(level: number): Transform {
  return new zstd.CompressStream({ compressionLevel: level, nbWorkers: WORKERS, checksumFlag: true });
}

/** A streaming zstd decompressor; accepts any number of concatenated frames (and skippable frames). */
export function createZstdDecompressor(): Transform {
  return new zstd.DecompressStream();
}
