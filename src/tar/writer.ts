// Encodes tar members and their file data into a stream of large output chunks.
import { FileData } from '../fsio/file-data.js';
import type { TarEntry } from '../types.js';
import { encodeEntryHeaders, endOfArchive, paddingLength } from './header.js';
import { MemberOrder } from './member-order.js';

/** Output chunk size: large enough to amortise per-chunk costs downstream (hashing, gzip, write). */
const CHUNK_SIZE = 1 << 20;

/**
 * Yields the tar archive for `entries` as chunks of about 1 MiB. Small members are packed
 * together; file data is read straight into the chunk. Each yielded Buffer is handed over (never
 * reused), and the generator waits for the consumer between chunks, so memory stays bounded
 * whatever the file sizes. `onEntry` is called once per member written. Members must come in
 * canonical order, each path once (`MemberOrder`): anything else is E_INTERNAL before it is written.
 */
export async function* writeTar(entries: AsyncIterable<TarEntry>, onEntry: () => void, signal?: AbortSignal): AsyncGenerator<Buffer> {
  let chunk = Buffer.allocUnsafe(CHUNK_SIZE);
  let used = 0;
  const order = new MemberOrder();

  function* put(bytes: Buffer): Generator<Buffer> {
    let offset = 0;
    while (offset < bytes.length) {
      if (used === CHUNK_SIZE) yield* flush();
      const n = bytes.copy(chunk, used, offset);
      used += n;
      offset += n;
    }
  }

  function* flush(): Generator<Buffer> {
    if (used === 0) return;
    yield chunk.subarray(0, used);
    chunk = Buffer.allocUnsafe(CHUNK_SIZE);
    used = 0;
  }

  for await (const entry of entries) {
    signal?.throwIfAborted();
    order.check(entry);
    yield* put(encodeEntryHeaders(entry));
    if (entry.type === 'file' && entry.size > 0n) {
      if (entry.source === undefined) throw new Error('a file member with data needs a source');
      const data = new FileData(entry.source, entry.size);
      try {
        while (data.remaining > 0n) {
          if (used === CHUNK_SIZE) yield* flush();
          used += data.readInto(chunk, used, CHUNK_SIZE - used);
        }
        data.finish();
      } finally {
        data.close();
      }
      yield* put(Buffer.alloc(paddingLength(entry.size)));
    }
    onEntry();
  }
  yield* put(endOfArchive());
  yield* flush();
}
