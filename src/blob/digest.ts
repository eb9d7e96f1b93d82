// A pass-through stream that hashes and counts the bytes flowing through it, hashing on a worker
// thread once the stream is large enough to pay for one.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';

/**
 * The bytes in flight between the stream and the hashing thread: each chunk is copied into this
 * shared ring and passes on at once; a write waits only when the ring is full (bounded memory).
 */
const RING_SIZE = 8 << 20;

/**
 * A stream no longer than this is hashed on the calling thread at its end (starting a worker costs
 * about as much as hashing a few MiB, and small diffs are dominated by start-up).
 */
const INLINE_LIMIT = 4 << 20;

// Control words shared with the hashing thread (BigInt64Array indexes). WRITTEN: bytes copied into
// the ring, ever, stored as -(n + 1) once the stream has ended; HASHED: bytes the thread has hashed.
const WRITTEN = 0;
const HASHED = 1;

// The hashing thread: waits on WRITTEN, hashes the ring's new bytes in order, publishes HASHED, and
// posts the digest once the stream has ended and everything is hashed. CommonJS source, so it runs
// from src/ and dist/ alike.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const ring = Buffer.from(workerData.ring);
const control = new BigInt64Array(workerData.control);
const size = ring.length;
const hash = createHash('sha256');
let hashed = 0;
for (;;) {
  const word = Atomics.load(control, ${WRITTEN});
  const ended = word < 0n;
  const written = Number(ended ? -word - 1n : word);
  if (written === hashed) {
    if (ended) break;
    Atomics.wait(control, ${WRITTEN}, word);
    continue;
  }
  const at = hashed % size;
  const length = Math.min(written - hashed, size - at);
  hash.update(ring.subarray(at, at + length));
  hashed += length;
  Atomics.store(control, ${HASHED}, BigInt(hashed));
  Atomics.notify(control, ${HASHED});
}
parentPort.postMessage(hash.digest('hex'));
`;

// Atomics.waitAsync (Node >= 16; not in the ES2022 lib the project compiles against).
const waitAsync = (Atomics as unknown as {
  waitAsync(array: BigInt64Array, index: number, value: bigint): { async: boolean; value: unknown };
}).waitAsync;

/** Passes chunks through unchanged; after the stream ends, `digest` and `size` describe them. */
export class DigestTap extends Transform {
  readonly #ring = new SharedArrayBuffer(RING_SIZE);
  readonly #view = Buffer.from(this.#ring);
  readonly #controlBuffer = new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT);
  readonly #control = new BigInt64Array(this.#controlBuffer);
  #written = 0; // bytes copied into the ring, ever
  #worker: Worker | undefined;
  #size = 0;
  #digest: string | undefined;
  readonly #onChunk: ((length: number) => void) | undefined;

  /** `onChunk` is told each chunk's length as it passes (progress reporting). */
  constructor(onChunk?: (length: number) => void) {
    super();
    this.#onChunk = onChunk;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += chunk.length;
    this.#onChunk?.(chunk.length);
    this.push(chunk);
    this.#copyIn(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#finish().then((digest) => {
      this.#digest = `sha256:${digest}`;
      callback();
    }, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const worker = this.#worker;
    this.#worker = undefined;
    Atomics.notify(this.#control, HASHED); // a write waiting for ring space wakes and sees `destroyed`
    if (worker === undefined) callback(error);
    else void worker.terminate().then(() => callback(error), () => callback(error));
  }

  /** `sha256:<hex>` of everything that passed; only valid once the stream has ended. */
  get digest(): string {
    if (this.#digest === undefined) throw new Error('DigestTap: digest read before the stream ended');
    return this.#digest;
  }

  get size(): number {
    return this.#size;
  }

  // Copies `chunk` into the ring, waiting for the worker to free space when it is full.
  async #copyIn(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      let hashed = Atomics.load(this.#control, HASHED);
      let free = RING_SIZE - (this.#written - Number(hashed));
      while (free === 0) {
        this.#startWorker();
        const wait = waitAsync(this.#control, HASHED, hashed);
        if (wait.async) await wait.value;
        if (this.destroyed) return;
        hashed = Atomics.load(this.#control, HASHED);
        free = RING_SIZE - (this.#written - Number(hashed));
      }
      const at = this.#written % RING_SIZE;
      const length = Math.min(free, chunk.length - offset, RING_SIZE - at);
      chunk.copy(this.#view, at, offset, offset + length);
      offset += length;
      this.#written += length;
      Atomics.store(this.#control, WRITTEN, BigInt(this.#written));
      Atomics.notify(this.#control, WRITTEN);
    }
    if (this.#worker === undefined && this.#written > INLINE_LIMIT) this.#startWorker();
  }

  #startWorker(): void {
    if (this.#worker !== undefined) return;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ring: this.#ring, control: this.#controlBuffer } });
    worker.on('error', (err) => this.destroy(err));
    this.#worker = worker;
  }

  async #finish(): Promise<string> {
    const worker = this.#worker;
    if (worker === undefined) {
      // Never started: everything is still in the ring, in order from offset 0.
      return createHash('sha256').update(this.#view.subarray(0, this.#written)).digest('hex');
    }
    const result = once(worker, 'message');
    Atomics.store(this.#control, WRITTEN, -BigInt(this.#written) - 1n);
    Atomics.notify(this.#control, WRITTEN);
    const [digest] = (await result) as [string];
    this.#worker = undefined;
    await worker.terminate();
    return digest;
  }
}
