// A pass-through stream that hashes and counts the bytes flowing through it.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** The lowercase hex of a sha256 sum: the name of a blob under `blobs/sha256/`. */
const HEX_DIGITS = '[0-9a-f]{64}';
const SHA256_HEX = new RegExp(`^${HEX_DIGITS}$`);
const SHA256_DIGEST = new RegExp(`^sha256:${HEX_DIGITS}$`);

/** True for 64 lowercase hex digits. */
export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

/** True for `sha256:<64 lowercase hex>`, the only digest this project writes, checks or resolves. */
export function isSha256Digest(value: unknown): value is string {
  return typeof value === 'string' && SHA256_DIGEST.test(value);
}

/** Passes chunks through unchanged; after the stream ends, `digest` and `size` describe them. */
export class DigestTap extends Transform {
  readonly #hash: Hash = createHash('sha256');
  #size = 0;
  #digest: string | undefined;
  readonly #onChunk: ((length: number) => void) | undefined;

  /** `onChunk` is told each chunk's length as it passes (progress reporting). */
  constructor(onChunk?: (length: number) => void) {
    super();
    this.#onChunk = onChunk;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
    this.#onChunk?.(chunk.length);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = `sha256:${this.#hash.digest('hex')}`;
    callback();
  }

  /** `sha256:<hex>` of everything that passed; only valid once the stream has ended. */
  get digest(): string {
    if (this.#digest === undefined) throw new Error('DigestTap: digest read before the stream ended');
    return this.#digest;
  }

  get size(): number {
    return this.#size;
  }
}
