// zstd streams for layer blobs: a compressing Transform for diff, a pulling decompressor for apply;
// the library is found when first needed.
import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { OverlaydiffError } from '../errors.js';

/** zstd levels accepted without `--ultra` (the zstd CLI's range); 3 is zstd's own default. */
export const ZSTD_MIN_LEVEL = 1;
export const ZSTD_MAX_LEVEL = 19;
export const ZSTD_DEFAULT_LEVEL = 3;

// libzstd's multi-threaded mode produces the same bytes for any nbWorkers >= 1 (only 0, the
// single-threaded mode, differs), so the worker count is free to follow the machine while the blob
// digest stays a function of (input, level, the libzstd bundled with the pinned zstd-napi).
const WORKERS = 2;

/** A zstd implementation: zstd-napi (an optional dependency) or node:zlib's (Node ≥ 22.15). */
export interface ZstdBackend {
  readonly name: 'zstd-napi' | 'node:zlib';
  compressor(level: number): Transform;
  /** The decompressed bytes of `source`, produced only as fast as the consumer pulls them. */
  decompress(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer>;
}

interface ZstdNapi {
  CompressStream: new (options: { compressionLevel: number; nbWorkers: number; checksumFlag: boolean }) => Transform;
}

interface ZstdNapiBinding {
  dStreamOutSize(): number;
  DCtx: new () => { decompressStream(dst: Buffer, src: Buffer): [number, number, number] };
}

// node:zlib's zstd as Node ≥ 22.15 declares it (the @types/node 20 the project pins lacks it).
interface ZlibWithZstd {
  createZstdCompress(options: { params: Record<number, number> }): Transform;
  createZstdDecompress(): Transform;
  constants: { ZSTD_c_compressionLevel: number; ZSTD_c_checksumFlag: number };
}

/** Where the implementations come from; tests replace them. */
export interface ZstdSources {
  /** Loads zstd-napi (throws when it is not installed or its binary is missing). */
  readonly loadNapi: () => unknown;
  /** Loads zstd-napi's low-level binding (the streaming DCtx). */
  readonly loadNapiBinding?: () => unknown;
  /** node:zlib, which has zstd from Node 22.15 on. */
  readonly zlib: object;
}

const requireHere = createRequire(import.meta.url);
const DEFAULT_SOURCES: ZstdSources = { loadNapi: () => requireHere('zstd-napi'), loadNapiBinding: () => requireHere('zstd-napi/binding.js'), zlib };

/**
 * node:zlib's zstd when this Node has it (>= 22.15: nothing to install), else zstd-napi when it
 * loads, else an error that says how to get either (thrown). gzip and uncompressed layers never
 * call this. The diffID never depends on the choice; a zstd blob digest is a function of the
 * library that made it (Node's bundled libzstd, or the one zstd-napi pins).
 */
export function selectZstdBackend(sources: ZstdSources): ZstdBackend {
  if (hasZstd(sources.zlib)) {
    const z = sources.zlib;
    return {
      name: 'node:zlib',
      compressor: (level) => z.createZstdCompress({ params: { [z.constants.ZSTD_c_compressionLevel]: level, [z.constants.ZSTD_c_checksumFlag]: 1 } }),
      // node:zlib's Transform honours backpressure: piping through it pulls as the consumer reads.
      decompress: (source) => pipeThrough(source, z.createZstdDecompress()),
    };
  }
  let napiError: unknown;
  try {
    const napi = sources.loadNapi() as ZstdNapi;
    const binding = (sources.loadNapiBinding ?? (() => requireHere('zstd-napi/binding.js')))() as ZstdNapiBinding;
    return {
      name: 'zstd-napi',
      compressor: (level) => new napi.CompressStream({ compressionLevel: level, nbWorkers: WORKERS, checksumFlag: true }),
      decompress: (source) => pullDecompress(binding, source),
    };
  } catch (err) {
    napiError = err;
  }
  const reason = napiError instanceof Error ? napiError.message.split('\n')[0] : String(napiError);
  throw new OverlaydiffError(
    'E_UNAVAILABLE',
    `zstd is not available: the optional dependency zstd-napi did not load (${reason}) and Node ${process.version} ` +
      'has no built-in zstd (Node >= 22.15 has). Install zstd-napi with a C compiler on PATH (npm install zstd-napi), ' +
      'run on Node >= 22.15, or use gzip',
    { cause: napiError },
  );
}

function hasZstd(module: object): module is ZlibWithZstd {
  return 'createZstdCompress' in module && typeof module.createZstdCompress === 'function';
}

let backend: ZstdBackend | undefined;

// Cached once found; a failure is not cached (the error is thrown again on the next use).
function zstdBackend(): ZstdBackend {
  backend ??= selectZstdBackend(DEFAULT_SOURCES);
  return backend;
}

/**
 * A streaming zstd compressor: one frame with a content checksum. With zstd-napi it runs on
 * libzstd worker threads off the event loop, deterministic for a given level and zstd-napi version.
 */
export function createZstdCompressor(level: number): Transform {
  return zstdBackend().compressor(level);
}

/** The decompressed bytes of a zstd stream (any number of concatenated and skippable frames), pulled. */
export function decompressZstd(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  return zstdBackend().decompress(source);
}

/**
 * zstd-napi's DCtx driven by the consumer: each output buffer (libzstd's recommended 128 KiB) is
 * yielded before the next is made, so a stream that expands to GiBs never piles up in memory
 * (zstd-napi's DecompressStream pushes a whole input chunk's output, ignoring backpressure). A
 * stream that ends inside a frame is an error.
 */
async function* pullDecompress(binding: ZstdNapiBinding, source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const outSize = binding.dStreamOutSize();
  const dctx = new binding.DCtx();
  let inFrame = false;
  for await (const chunk of source) {
    let src: Buffer = chunk;
    for (;;) {
      const dst = Buffer.allocUnsafe(outSize);
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

async function* pipeThrough(source: AsyncIterable<Buffer>, transform: Transform): AsyncGenerator<Buffer> {
  const feeding = pipeline(source, transform).catch((err: unknown) => transform.destroy(err instanceof Error ? err : new Error(String(err))));
  yield* transform as AsyncIterable<Buffer>;
  await feeding;
}
