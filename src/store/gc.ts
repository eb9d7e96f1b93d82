// Garbage collection of a layout: mark everything index.json reaches, sweep old unreferenced blobs and dead writers' temp files.
import { join } from 'node:path';
import { OverlaydiffError, abortable, throwIfAborted } from '../errors.js';
import { ProgressCounter, type ProgressListener } from '../progress.js';
import { BLOBS_DIR, SHA256_DIR, assertLayout, fsyncDir, listBlobs, loadJsonBlob, readIndex, removeIfPresent } from './layout-fs.js';
import { DEFAULT_GRACE_MS, planSweep } from './grace.js';
import { withLayoutLock } from './lock.js';
import { markReachable } from './mark.js';
import { crashPoint } from './fault-points.js';

/** Which layout `gc` collects, and how. */
export interface GcOptions {
  /** The OCI image layout directory. */
  layout: string;
  /** An unreferenced blob or temp file younger than this is kept. Default: 1 hour. */
  graceMs?: number;
  /** Report what would be deleted, delete nothing. Default: false. */
  dryRun?: boolean;
  /** Told the unreferenced blobs and temp files deleted so far. Default: none. */
  onProgress?: ProgressListener;
  /**
   * Stops while waiting for the layout lock or between deletions: `gc` rejects with E_ABORTED and
   * what it deleted stays deleted (only unreferenced blobs). Default: none.
   */
  signal?: AbortSignal;
}

/** What `gc` deleted and kept. */
export interface GcResult {
  /** Blobs reachable from index.json. */
  readonly referenced: number;
  /** Unreferenced blobs deleted (or, with dryRun, that would be), as digests. */
  readonly deleted: string[];
  /** Unreferenced blobs kept because they are younger than the grace period. */
  readonly young: string[];
  /** Temp files of dead writers removed (or that would be). */
  readonly tempsRemoved: string[];
  /** Temp files kept: their writer is alive, or they are younger than the grace period. */
  readonly tempsKept: string[];
  /** Whether this was a dry run. */
  readonly dryRun: boolean;
}

/**
 * Collects garbage under the layout lock (writers wait for it only to publish, so a long sweep
 * never loses an index entry). The cutoff is taken first; then the listing, then the mark over
 * ALL of index.json (never filtered by age). GC never writes index.json, so a crash anywhere
 * leaves every referenced blob in place and a rerun finishes the job. Refuses to sweep when a
 * reachable index or manifest is missing or unreadable (what it references is then unknown):
 * E_BAD_ARCHIVE. Rejects with E_ABORTED when `signal` fires.
 */
export async function gc(options: GcOptions): Promise<GcResult> {
  return abortable(options.signal, () => collect(options));
}

async function collect(options: GcOptions): Promise<GcResult> {
  const { layout, graceMs = DEFAULT_GRACE_MS, dryRun = false } = options;
  if (!Number.isSafeInteger(graceMs) || graceMs < 0) throw new OverlaydiffError('E_USAGE', `invalid grace period ${graceMs} ms`);
  assertLayout(layout);
  const cutoffMs = Date.now() - graceMs;
  return withLayoutLock(
    layout,
    async () => {
      const listing = listBlobs(layout);
      const index = readIndex(layout);
      const roots = [...index.manifests, ...(index.subject === undefined ? [] : [index.subject])];
      const mark = markReachable(roots, (d) => loadJsonBlob(layout, d));
      const problems = [...mark.missing.map((d) => `${d} is missing`), ...mark.invalid.map((i) => `${i.digest}: ${i.reason}`)];
      if (problems.length > 0) {
        throw new OverlaydiffError(
          'E_BAD_ARCHIVE',
          `${layout}: refusing to collect garbage, the references are incomplete (${problems.join('; ')}); fsck lists what is broken`,
          { path: layout },
        );
      }
      crashPoint('gc-marked');
      const plan = planSweep(listing.blobs, listing.temps, new Set(mark.reachable.keys()), cutoffMs, isProcessAlive);
      if (!dryRun) {
        const progress = new ProgressCounter(options.onProgress);
        for (const hex of plan.deleteBlobs) {
          throwIfAborted(options.signal);
          // Already gone (another GC) counts as deleted.
          removeIfPresent(join(layout, SHA256_DIR, hex));
          progress.item();
          crashPoint('gc-blob-deleted');
        }
        if (plan.deleteBlobs.length > 0) fsyncDir(join(layout, SHA256_DIR));
        for (const name of plan.deleteTemps) {
          throwIfAborted(options.signal);
          removeIfPresent(join(layout, BLOBS_DIR, name));
          progress.item();
          crashPoint('gc-temp-removed');
        }
      }
      return {
        referenced: mark.reachable.size,
        deleted: plan.deleteBlobs.map((hex) => `sha256:${hex}`),
        young: plan.youngBlobs.map((hex) => `sha256:${hex}`),
        tempsRemoved: plan.deleteTemps,
        tempsKept: plan.keptTemps,
        dryRun,
      };
    },
    options.signal,
  );
}

// Signal 0 probes for existence; EPERM means it exists under another user.
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
