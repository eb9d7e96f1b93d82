// `rm`: drops a tag from index.json under the layout lock; GC reclaims what it alone referenced.
import { OverlaydiffError } from '../errors.js';
import { assertLayout, readIndex, writeIndex } from './layout-fs.js';
import { withLayoutLock } from './lock.js';
import { refNameOf } from './oci-types.js';
import { isValidRefName } from './ref-name.js';

/**
 * Removes every index entry tagged `tag` (atomic, durable index.json rewrite); the blobs stay
 * until a GC finds them unreferenced. Returns how many entries were removed; E_NOT_FOUND if none.
 */
export async function removeTag(layout: string, tag: string, signal?: AbortSignal): Promise<number> {
  if (!isValidRefName(tag)) throw new OverlaydiffError('E_USAGE', `invalid tag ${JSON.stringify(tag)}`);
  assertLayout(layout);
  return withLayoutLock(
    layout,
    async () => {
      const index = readIndex(layout);
      const kept = index.manifests.filter((m) => refNameOf(m) !== tag);
      const removed = index.manifests.length - kept.length;
      if (removed === 0) throw new OverlaydiffError('E_NOT_FOUND', `${layout}: no image tagged ${JSON.stringify(tag)}`, { path: layout });
      writeIndex(layout, { ...index, manifests: kept }, 'rm-index-temp-written');
      return removed;
    },
    signal,
  );
}
