// A pass-through stream that hashes and counts the bytes flowing through it, hashing on a worker
// thread (one per process, shared by every tap) once the stream is large enough to pay for one.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';

/**
 * The bytes in flight between a tap and the hashing thread: each chunk is copied into the tap's
 * shared ring and passes on at once; a write waits only when the ring is full (bounded memory).
 */
const RING_SIZE = 4 << 20;

/**
 * A stream no longer than this is hashed on the calling thread at its end (starting the thread
 * costs about as much as hashing a few MiB, and small diffs are dominated by start-up).
 */
const INLINE_LIMIT = 2 << 20;

// A tap's control words (BigInt64Array indexes). WRITTEN: bytes copied into the ring, ever, stored
// as -(n + 1) once the stream has ended; HASHED: bytes the thread has hashed.
const WRITTEN = 0;
const HASHED = 1;

// The hashing thread. It sleeps on the doorbell (word 0, which every tap bumps after a write; word 1
// says the thread is asleep), takes
// new taps from its port without returning to its event loop (receiveMessageOnPort), hashes each
// tap's new ring bytes in order, publishes HASHED, and posts `{ id, digest }` when a tap has ended
// and is all hashed. CommonJS source, so it runs from src/ and dist/ alike.
const WORKER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const doorbell = new Int32Array(workerData.doorbell);
const taps = new Map();
for (;;) {
  const bell = Atomics.load(doorbell, 0);
  for (let m = receiveMessageOnPort(parentPort); m !== undefined; m = receiveMessageOnPort(parentPort)) {
    const { id, ring, control, cancel } = m.message;
    if (cancel) taps.delete(id);
    else taps.set(id, { ring: Buffer.from(ring), control: new BigInt64Array(control), hash: createHash('sha256'), hashed: 0 });
  }
  let progressed = false;
  for (const [id, tap] of taps) {
    const word = Atomics.load(tap.control, ${WRITTEN});
    const ended = word < 0n;
    const written = Number(ended ? -word - 1n : word);
    if (written > tap.hashed) {
      const at = tap.hashed % tap.ring.length;
      const length = Math.min(written - tap.hashed, tap.ring.length - at);
      tap.hash.update(tap.ring.subarray(at, at + length));
      tap.hashed += length;
      Atomics.store(tap.control, ${HASHED}, BigInt(tap.hashed));
      Atomics.notify(tap.control, ${HASHED});
      progressed = true;
    } else if (ended) {
      taps.delete(id);
      parentPort.postMessage({ id, digest: tap.hash.digest('hex') });
    }
  }
  if (!progressed) {
    Atomics.store(doorbell, 1, 1);
    Atomics.wait(doorbell, 0, bell);
    Atomics.store(doorbell, 1, 0);
  }
}
`;

// Atomics.waitAsync (Node >= 16; not in the ES2022 lib the project compiles against).
const waitAsync = (
  Atomics as unknown as {
    waitAsync(array: BigInt64Array, index: number, value: bigint): { async: boolean; value: unknown };
  }
).waitAsync;

/** The process's hashing thread: referenced only while some tap is using it. */
class HashThread {
  readonly #doorbell = new Int32Array(new SharedArrayBuffer(8));
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (digest: string) => void; reject: (error: Error) => void }>();
  #users = 0;
  #nextId = 0;
  failure: Error | undefined;

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { doorbell: this.#doorbell.buffer },
      // It allocates next to nothing: a small heap keeps the thread's memory small.
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    this.#worker.unref();
    this.#worker.on('message', (message: { id: number; digest: string }) => {
      this.#waiting.get(message.id)?.resolve(message.digest);
      this.#waiting.delete(message.id);
    });
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.on('exit', (code) => this.#fail(new Error(`the hashing thread exited (code ${code})`)));
  }

  /** Starts hashing a tap's ring; returns its id. */
  attach(ring: SharedArrayBuffer, control: SharedArrayBuffer): number {
    if (this.#users++ === 0) this.#worker.ref();
    const id = this.#nextId++;
    this.#worker.postMessage({ id, ring, control });
    this.ring();
    return id;
  }

  /** The digest of tap `id` once its WRITTEN word says it has ended. */
  digest(id: number): Promise<string> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const result = new Promise<string>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    this.ring();
    return result.finally(() => this.#release());
  }

  /** Forgets tap `id` (its stream was destroyed). */
  cancel(id: number): void {
    this.#worker.postMessage({ id, cancel: true });
    this.ring();
    const waiter = this.#waiting.get(id);
    this.#waiting.delete(id);
    if (waiter === undefined) this.#release();
    else waiter.reject(new Error('the stream was destroyed')); // digest()'s finally releases
  }

  // Wakes the thread only when it sleeps (word 1, set before it waits on word 0): a notify is a
  // syscall, a write per chunk would pay it. Sequentially consistent atomics: either this sees the
  // flag, or the thread's wait sees the bumped bell and returns at once.
  ring(): void {
    Atomics.add(this.#doorbell, 0, 1);
    if (Atomics.load(this.#doorbell, 1) === 1) Atomics.notify(this.#doorbell, 0);
  }

  #release(): void {
    if (--this.#users === 0) this.#worker.unref();
  }

  #fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
    if (hashThread === this) hashThread = undefined;
  }
}

let hashThread: HashThread | undefined;

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
  readonly #ring = new SharedArrayBuffer(RING_SIZE);
  readonly #view = Buffer.from(this.#ring);
  readonly #controlBuffer = new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT);
  readonly #control = new BigInt64Array(this.#controlBuffer);
  #written = 0; // bytes copied into the ring, ever
  #thread: HashThread | undefined;
  #id = -1;
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
    const thread = this.#thread;
    this.#thread = undefined;
    if (thread !== undefined && this.#digest === undefined) thread.cancel(this.#id);
    Atomics.notify(this.#control, HASHED); // a write waiting for ring space wakes and sees `destroyed`
    callback(error);
  }

  /** `sha256:<hex>` of everything that passed; only valid once the stream has ended. */
  get digest(): string {
    if (this.#digest === undefined) throw new Error('DigestTap: digest read before the stream ended');
    return this.#digest;
  }

  get size(): number {
    return this.#size;
  }

  // Copies `chunk` into the ring, waiting for the hashing thread to free space when it is full.
  async #copyIn(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      let hashed = Atomics.load(this.#control, HASHED);
      let free = RING_SIZE - (this.#written - Number(hashed));
      while (free === 0) {
        const thread = this.#attach();
        if (thread.failure !== undefined) throw thread.failure;
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
      this.#thread?.ring();
    }
    if (this.#thread === undefined && this.#written > INLINE_LIMIT) this.#attach();
  }

  #attach(): HashThread {
    if (this.#thread === undefined) {
      hashThread ??= new HashThread();
      this.#thread = hashThread;
      this.#id = this.#thread.attach(this.#ring, this.#controlBuffer);
    }
    return this.#thread;
  }

  async #finish(): Promise<string> {
    const thread = this.#thread;
    if (thread === undefined) {
      // Never handed over: everything is still in the ring, in order from offset 0.
      return createHash('sha256').update(this.#view.subarray(0, this.#written)).digest('hex');
    }
    Atomics.store(this.#control, WRITTEN, -BigInt(this.#written) - 1n);
    return thread.digest(this.#id);
  }
}
