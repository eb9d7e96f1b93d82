// A gzip compressor that deflates fixed-size blocks of its input on several threads and joins them
// into one gzip member (pigz's method), in a Transform.
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { constants as zlib, crc32, deflateRaw } from 'node:zlib';

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

/** One block's deflate call; `output` is set when it has finished. */
interface Job {
  output: Buffer | undefined;
}

/**
 * Compresses to one gzip member (mtime 0, no name), byte-identical for the same input, level, block
 * size and zlib, whatever the write chunking or thread timing. Each block is raw deflate primed with
 * the previous block's last 32 KiB and ended by a sync flush (the last by a finish), so the blocks
 * concatenate into one deflate stream that any gunzip reads. Memory: about MAX_IN_FLIGHT blocks.
 * `blockSize` exists for tests; the blob format uses GZIP_BLOCK_SIZE.
 */
export function createParallelGzip(level: number, blockSize = GZIP_BLOCK_SIZE): Transform {
  return new ParallelGzip(level, blockSize);
}

class ParallelGzip extends Transform {
  readonly #level: number;
  readonly #blockSize: number;
  #block: Buffer;
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

  constructor(level: number, blockSize: number) {
    super();
    this.#level = level;
    this.#blockSize = blockSize;
    this.#block = Buffer.allocUnsafe(blockSize);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#crc = crc32(chunk, this.#crc);
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
    const block = this.#block.subarray(0, this.#filled);
    const options = {
      level: this.#level,
      finishFlush: last ? zlib.Z_FINISH : zlib.Z_SYNC_FLUSH,
      chunkSize: OUTPUT_CHUNK_SIZE,
      ...(this.#dictionary === undefined ? {} : { dictionary: this.#dictionary }),
    };
    // A copy, so the dictionary does not keep the whole previous block alive.
    this.#dictionary = Buffer.from(block.subarray(Math.max(0, block.length - WINDOW_SIZE)));
    if (!last) this.#block = Buffer.allocUnsafe(this.#blockSize);
    this.#filled = 0;
    const job: Job = { output: undefined };
    this.#jobs.push(job);
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
