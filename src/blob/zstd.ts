// zstd streams for layer blobs: a compressing Transform for diff, a pulling decompressor for apply.
import type { Transform } from 'node:stream';
import zstd from 'zstd-napi';
import binding from 'zstd-napi/binding.js';

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

/** Decompressed bytes handed out per step: libzstd's recommended output buffer (128 KiB). */
const OUT_SIZE = binding.dStreamOutSize();

/**
 * The decompressed bytes of `source` (any number of concatenated and skippable frames), produced
 * only as fast as the consumer asks: each output buffer is yielded before the next is made, so a
 * stream that expands to GiBs never piles up in memory (zstd-napi's DecompressStream pushes a whole
 * input chunk's output, ignoring backpressure). A stream that ends inside a frame is an error.
 */
export async function* decompressZstd(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const dctx = new binding.DCtx();
  let inFrame = false;
  for await (const chunk of source) {
    let src: Buffer = chunk;
    for (;;) {
      const dst = Buffer.allocUnsafe(OUT_SIZE);
      const [ret, produced, consumed] = dctx.decompressStream(dst, src);
      src = src.subarray(consumed);
      if (produced > 0) yield dst.subarray(0, produced);
      if (src.length === 0 && (produced < dst.length || ret === 0)) {
        inFrame = ret !== 0;
        break;
      }
    }
  }
  if (inFrame) throw new Error('the stream ends in the middle of a zstd frame');
}
