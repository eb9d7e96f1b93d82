// The last pipeline stage for a stream the caller owns.
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * A pipeline sink writing to `out` with backpressure: it ends `out` on success and never destroys
 * it on failure (a caller's stdout or socket stays usable for reporting the error).
 */
export function writeTo(out: Writable): (source: AsyncIterable<Buffer>) => Promise<void> {
  return async (source) => {
    for await (const chunk of source) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(() => {
        out.off('error', reject);
        resolve();
      });
    });
  };
}
