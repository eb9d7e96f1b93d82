// Running counts that long operations report to an optional listener (the CLI draws them on a TTY).

/** How far an operation is: `items` (entries or blobs, per operation) and bytes processed so far. */
export interface Progress {
  /** Items processed so far: entries, members or blobs, as each operation's `onProgress` says. */
  readonly items: number;
  /** Bytes processed so far, as each operation's `onProgress` says. */
  readonly bytes: number;
}

/** Called after every change; keep it cheap (the CLI's listener only redraws every 100 ms). */
export type ProgressListener = (progress: Progress) => void;

/** Counts items and bytes and tells the listener; without a listener it only counts. */
export class ProgressCounter implements Progress {
  items = 0;
  bytes = 0;
  readonly #listener: ProgressListener | undefined;

  constructor(listener: ProgressListener | undefined) {
    this.#listener = listener;
  }

  item(): void {
    this.items++;
    this.#listener?.(this);
  }

  addBytes(count: number): void {
    this.bytes += count;
    this.#listener?.(this);
  }

  /** Passes `source` through, counting its bytes as they are consumed. */
  async *countBytes(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      this.addBytes(chunk.length);
      yield chunk;
    }
  }
}
