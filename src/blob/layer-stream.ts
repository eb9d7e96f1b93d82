// Turns a layer blob (tar, tar+gzip or tar+zstd, detected from its magic bytes) into tar bytes, hashing both.
import { createHash, type Hash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { decompressZstd } from './zstd.js';
import { createReadStream, openSync } from 'node:fs';
import { OverlaydiffError, ioError } from '../errors.js';
import type { Compression } from '../types.js';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const MAGIC_LENGTH = 4;

/** Hashes of the blob as read (`digest`) and of the tar inside it (`diffID`); read after the stream ends. */
export interface LayerHashes {
  readonly blob: Hash;
  readonly tar: Hash;
  compression: Compression;
}

/**
 * Yields the uncompressed tar of `blob`. gzip (one or more members) is recognised by its magic
 * bytes and inflated with node:zlib; zstd (one or more frames) by its magic `28 b5 2f fd` and
 * decompressed in-process by libzstd (zstd-napi), never an external program. Both produce output
 * only as the consumer reads it, so memory stays bounded whatever the expansion ratio. Every byte of the
 * blob and of the tar passes through `hashes` once the caller has consumed the whole output.
 */
export async function* layerTar(blob: AsyncIterable<Buffer>, hashes: LayerHashes, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const source = blob[Symbol.asyncIterator]();
  // Every read waits for the blob or the abort, whichever comes first: SIGTERM is honoured while
  // the input is slow or silent (a pipe), not only between members.
  const input = { next: () => untilAborted(source.next(), signal), return: () => source.return?.() };
  let finished = false;
  try {
    const head: Buffer[] = [];
    let headLength = 0;
    while (headLength < MAGIC_LENGTH) {
      const next = await input.next();
      if (next.done === true) {
        finished = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      head.push(chunk);
      headLength += chunk.length;
    }
    const first = Buffer.concat(head);
    const raw = async function* (): AsyncGenerator<Buffer> {
      hashes.blob.update(first);
      if (first.length > 0) yield first;
      while (!finished) {
        const next = await input.next();
        if (next.done === true) {
          finished = true;
          return;
        }
        const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
        hashes.blob.update(chunk);
        yield chunk;
      }
    };
    let tar: AsyncIterable<Buffer>;
    if (startsWith(first, GZIP_MAGIC)) {
      hashes.compression = 'gzip';
      // pipeline() destroys both streams when either fails or the consumer stops early.
      tar = pipeline(Readable.from(raw()), createGunzip(), () => {});
    } else if (startsWith(first, ZSTD_MAGIC)) {
      hashes.compression = 'zstd';
      tar = decompressZstd(raw());
    } else {
      tar = raw();
    }
    try {
      for await (const chunk of tar) {
        hashes.tar.update(chunk);
        yield chunk;
      }
    } catch (err) {
      if (err instanceof OverlaydiffError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new OverlaydiffError('E_BAD_ARCHIVE', `the ${hashes.compression === 'none' ? 'layer' : `${hashes.compression} stream`} is corrupt: ${reason}`, {
        cause: err,
      });
    }
  } finally {
    // After an abort a read may still be pending, and return() would wait for it: do not wait.
    if (!finished && signal?.aborted === true) void input.return();
    else if (!finished) await input.return();
  }
}

function untilAborted<T>(pending: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return pending;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export function newLayerHashes(): LayerHashes {
  return { blob: createHash('sha256'), tar: createHash('sha256'), compression: 'none' };
}

function startsWith(bytes: Buffer, magic: Buffer): boolean {
  return bytes.length >= magic.length && bytes.subarray(0, magic.length).equals(magic);
}

/** The bytes of the layer blob at `path`, read in 1 MiB chunks; a missing file is an error naming it. */
export function openLayer(path: string): AsyncIterable<Buffer> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw ioError('open the layer', path, err);
  }
  return createReadStream('', { fd, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
}
