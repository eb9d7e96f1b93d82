// `rm`: drops a tag from index.json under the layout lock; GC reclaims what it alone referenced.
import { OverlaydiffError, abortable } from '../errors.js';
import { ProgressCounter, type ProgressListener } from '../progress.js';
import { assertLayout, readIndex, writeIndex } from './layout-fs.js';
import { withLayoutLock } from './lock.js';
import { refNameOf } from './oci-types.js';
import { isValidRefName } from './ref-name.js';

/** Which tag `removeTag` removes from which layout. */
export interface RemoveTagOptions {
  /** The OCI image layout directory. */
  layout: string;
  /** The ref name (`org.opencontainers.image.ref.name`) whose index entries are removed. */
  tag: string;
  /** Told the index entries removed, once index.json is rewritten. Default: none. */
  onProgress?: ProgressListener;
  /** Stops the wait for the layout lock: `removeTag` rejects with E_ABORTED and index.json is unchanged. Default: none. */
  signal?: AbortSignal;
}

/**
 * Removes every index entry tagged `tag` (atomic, durable index.json rewrite); the blobs stay
 * until a GC finds them unreferenced. Resolves to how many entries were removed; rejects with
 * E_USAGE for an invalid tag, E_NOT_FOUND when no entry has it, E_ABORTED when `signal` fires.
 */
export async function removeTag(options: RemoveTagOptions): Promise<number> {
  const { layout, tag, signal } = options;
  if (!isValidRefName(tag)) throw new OverlaydiffError('E_USAGE', `invalid tag ${JSON.stringify(tag)}`);
  assertLayout(layout);
  return abortable(signal, () =>
    withLayoutLock(
      layout,
      async () => {
        const index = readIndex(layout);
        const kept = index.manifests.filter((m) => refNameOf(m) !== tag);
        const removed = index.manifests.length - kept.length;
        if (removed === 0) throw new OverlaydiffError('E_NOT_FOUND', `${layout}: no image tagged ${JSON.stringify(tag)}`, { path: layout });
        writeIndex(layout, { ...index, manifests: kept }, 'rm-index-temp-written');
        const progress = new ProgressCounter(options.onProgress);
        for (let i = 0; i < removed; i++) progress.item();
        return removed;
      },
      signal,
    ),
  );
}
