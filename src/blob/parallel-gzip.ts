// A gzip compressor that deflates fixed-size blocks of its input on several threads and joins them
// into one gzip member (pigz's method), in a Transform. The deflate engine is libdeflate in the
// package's addon when it has it, else node:zlib.
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { constants as zlib, crc32, deflateRaw } from 'node:zlib';
import { optionalNativeAddon } from '../fsio/native-addon.js';

/**
 * The input is cut into blocks of this many bytes. Part of the output format: each block is deflated
 * on its own, so a different size gives different (equally valid) bytes and another blob digest.
 * 1 MiB was as fast as 2, 4 and 8 MiB on 2 cores, within 0.01% of their size, and the lightest on memory.
 */
export const GZIP_BLOCK_SIZE = 1 << 20;

// Deflate's window: a block's matches may reach this far back into the block before it.
const WINDOW_SIZE = 32 << 10;

// zlib hands output back in chunks of this size, each a threadpool round trip through the main
// thread; zlib's 16 KiB default made deflating ~15% slower.
const OUTPUT_CHUNK_SIZE = 1 << 20;

// Blocks dispatched and not yet pushed. The async zlib calls run on libuv's threadpool, which the
// file reads feeding the tar share: one block more than the cores keeps every core deflating while
// the next block fills (measured faster than 1× or 2× the cores), and one thread stays free for fs.
// The final block may make it one more.
const THREADPOOL_SIZE = Number(process.env['UV_THREADPOOL_SIZE']) || 4; // libuv's default
const MAX_IN_FLIGHT = Math.max(1, Math.min(availableParallelism() + 1, THREADPOOL_SIZE - 1));

// RFC 1952 header: method 8 (deflate), no flags, mtime 0, OS 3 (Unix). XFL is what zlib's own
// gzip writes (2 = slowest, 4 = fastest), so the header matches `createGzip` at the same level.
function gzipHeader(level: number): Buffer {
  const extraFlags = level === 9 ? 2 : level === 1 ? 4 : 0;
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, 3]);
}

// RFC 1952 trailer: CRC-32 and length mod 2^32 of the uncompressed input, little endian.
function gzipTrailer(crc: number, size: number): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE(size, 4);
  return trailer;
}

/**
 * What deflates the blocks; part of what determines the output bytes (the same input, level, block
 * size and engine version give the same bytes). 'libdeflate': the addon's deflateBlock, 1.4–1.6× less CPU than
 * zlib for the same output size (see LIBDEFLATE_LEVEL), each block compressed on its own (no
 * 32 KiB dictionary from the previous block: libdeflate has none). 'zlib': node:zlib's deflateRaw,
 * each block primed with the previous block's last 32 KiB.
 */
export type GzipEngine = 'libdeflate' | 'zlib';

/**
 * The libdeflate level for each gzip level 1–9: the lowest whose output is within 1% of zlib's at
 * that level (measured on the bench's half-text upper: libdeflate's own 6 is 2% larger than zlib's
 * 6, its 7 is 0.2% larger and still 1.6× faster). gzip's numbers keep their meaning: `-6` is about
 * the size `gzip -6` and pigz give.
 */
const LIBDEFLATE_LEVEL = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10] as const;

/** The addon's deflate functions (src/fsio/native/deflate.c); deflateBlock only when built with libdeflate. */
interface DeflateAddon {
  deflateBlock?: (input: Buffer, level: number, last: boolean, callback: (error: Error | null, output: Buffer, crc: number) => void) => void;
  crc32Combine: (crc1: number, crc2: number, length2: number) => number;
}

let addonDeflate: DeflateAddon | null | undefined;

// The addon when it loads and was built with libdeflate; null otherwise (looked up once).
function libdeflateAddon(): DeflateAddon | null {
  if (addonDeflate === undefined) addonDeflate = optionalNativeAddon<DeflateAddon>('deflateBlock', 'crc32Combine');
  return addonDeflate;
}

/** The engine gzip blobs are made with here: libdeflate when the addon has it, else zlib. */
export function defaultGzipEngine(): GzipEngine {
  return libdeflateAddon() === null ? 'zlib' : 'libdeflate';
}

/** One block's deflate call; `output` is set when it has finished. */
interface Job {
  output: Buffer | undefined;
  /** libdeflate: the block's CRC-32 and length, combined into the member's CRC in input order. */
  crc: number;
  length: number;
}

/**
 * Compresses to one gzip member (mtime 0, no name), byte-identical for the same input, level, block
 * size and engine, whatever the write chunking or thread timing. Each block is raw deflate ended by
 * a sync flush (the last by a finish), so the blocks concatenate into one deflate stream that any
 * gunzip reads. Memory: about MAX_IN_FLIGHT blocks. A write of a whole block at a block boundary is
 * deflated in place, not copied: written Buffers must not change afterwards (writeTar hands its
 * chunks over). `blockSize` and `engine` exist for tests; the blob format uses GZIP_BLOCK_SIZE and
 * the default engine.
 */
export function createParallelGzip(level: number, blockSize = GZIP_BLOCK_SIZE, engine: GzipEngine = defaultGzipEngine()): Transform {
  const addon = engine === 'libdeflate' ? libdeflateAddon() : null;
  if (engine === 'libdeflate' && addon === null) throw new Error('the libdeflate gzip engine is not in this build of the addon');
  return new ParallelGzip(level, blockSize, addon);
}

class ParallelGzip extends Transform {
  readonly #level: number;
  readonly #blockSize: number;
  readonly #addon: DeflateAddon | null; // null: node:zlib
  // The block being filled: copied into (owned) or a whole-block slice of a write (borrowed).
  #block: Buffer | undefined;
  #owned = false;
  #filled = 0;
  #dictionary: Buffer | undefined;
  #headerPushed = false;
  #crc = 0;
  #size = 0;
  readonly #jobs: Job[] = []; // in input order
  // The write being copied into blocks, held while MAX_IN_FLIGHT blocks are out.
  #input: Buffer | undefined;
  #inputOffset = 0;
  #inputDone: TransformCallback | undefined;
  #flushDone: TransformCallback | undefined;

  constructor(level: number, blockSize: number, addon: DeflateAddon | null) {
    super();
    this.#level = level;
    this.#blockSize = blockSize;
    this.#addon = addon;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // libdeflate's jobs compute each block's CRC on the threadpool.
    if (this.#addon === null) this.#crc = crc32(chunk, this.#crc);
    this.#size = (this.#size + chunk.length) % 2 ** 32;
    this.#input = chunk;
    this.#inputOffset = 0;
    this.#inputDone = callback;
    this.#copyInput();
  }

  override _flush(callback: TransformCallback): void {
    this.#flushDone = callback;
    this.#dispatch(true);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Deflate calls still running finish on the threadpool; their callbacks see `destroyed` and stop.
    this.#jobs.length = 0;
    this.#input = undefined;
    this.#inputDone = undefined;
    this.#flushDone = undefined;
    callback(error);
  }

  // A full block is sent only when more input arrives, so the input's last block is always the one
  // _flush finishes (an input ending on a block boundary needs no extra empty block).
  #copyInput(): void {
    const input = this.#input;
    if (input === undefined) return;
    while (this.#inputOffset < input.length) {
      if (this.#filled === this.#blockSize) {
        if (this.#jobs.length >= MAX_IN_FLIGHT) return; // #pushFinished resumes
        this.#dispatch(false);
      }
      if (this.#filled === 0 && input.length - this.#inputOffset >= this.#blockSize) {
        this.#block = input.subarray(this.#inputOffset, this.#inputOffset + this.#blockSize);
        this.#owned = false;
        this.#filled = this.#blockSize;
        this.#inputOffset += this.#blockSize;
        continue;
      }
      if (this.#block === undefined || !this.#owned) {
        this.#block = Buffer.allocUnsafe(this.#blockSize);
        this.#owned = true;
      }
      const copied = input.copy(this.#block, this.#filled, this.#inputOffset);
      this.#filled += copied;
      this.#inputOffset += copied;
    }
    const done = this.#inputDone;
    this.#input = undefined;
    this.#inputDone = undefined;
    done?.();
  }

  #dispatch(last: boolean): void {
    if (!this.#headerPushed) {
      this.push(gzipHeader(this.#level));
      this.#headerPushed = true;
    }
    const block = this.#block === undefined ? Buffer.alloc(0) : this.#block.subarray(0, this.#filled);
    this.#block = undefined;
    this.#filled = 0;
    const job: Job = { output: undefined, crc: 0, length: block.length };
    this.#jobs.push(job);
    const addon = this.#addon;
    if (addon?.deflateBlock !== undefined) {
      addon.deflateBlock(block, LIBDEFLATE_LEVEL[this.#level] ?? this.#level, last, (error, output, crc) => {
        if (this.destroyed) return;
        if (error !== null) {
          this.destroy(error);
          return;
        }
        job.crc = crc;
        job.output = output;
        this.#pushFinished();
      });
      return;
    }
    const options = {
      level: this.#level,
      finishFlush: last ? zlib.Z_FINISH : zlib.Z_SYNC_FLUSH,
      chunkSize: OUTPUT_CHUNK_SIZE,
      ...(this.#dictionary === undefined ? {} : { dictionary: this.#dictionary }),
    };
    // A copy, so the dictionary does not keep the whole previous block alive.
    this.#dictionary = Buffer.from(block.subarray(Math.max(0, block.length - WINDOW_SIZE)));
    deflateRaw(block, options, (error, output) => {
      if (this.destroyed) return;
      if (error !== null) {
        this.destroy(error);
        return;
      }
      job.output = output;
      this.#pushFinished();
    });
  }

  // Pushes finished blocks in input order, then lets a held write continue, then ends the member.
  #pushFinished(): void {
    for (let job = this.#jobs[0]; job?.output !== undefined; job = this.#jobs[0]) {
      this.#jobs.shift();
      if (this.#addon !== null) this.#crc = this.#addon.crc32Combine(this.#crc, job.crc, job.length);
      this.push(job.output);
    }
    this.#copyInput();
    const flushDone = this.#flushDone;
    if (flushDone !== undefined && this.#jobs.length === 0) {
      this.#flushDone = undefined;
      flushDone(null, gzipTrailer(this.#crc, this.#size));
    }
  }
}
