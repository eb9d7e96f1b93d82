// Sweep decisions of GC (pure): which blobs and temp files may go, given ages, references and live writers.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The default grace period: an unreferenced blob younger than this is kept (a writer may not have published it yet). */
export const DEFAULT_GRACE_MS = UNIT_MS['h']!;

/**
 * Parses a duration such as `1h`, `30m`, `1h30m`, `90s`, `500ms`, `2d` or `0` into milliseconds;
 * undefined when malformed.
 */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const part = /(\d+)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = part.exec(text); m !== null; m = part.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length || !Number.isSafeInteger(total)) return undefined;
  return total;
}

/** A temp file's name: `.tmp-<pid>-<random>` in `blobs/`. The pid says which writer owns it. */
export const TEMP_PREFIX = '.tmp-';

/** The pid a temp file name carries, or undefined for any other name. */
export function tempOwnerPid(name: string): number | undefined {
  const m = /^\.tmp-(\d+)-[0-9a-f]+(?:\.[a-z]+)?$/.exec(name);
  if (m === null) return undefined;
  const pid = Number(m[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

export interface BlobListing {
  /** The blob's hex name under blobs/sha256/. */
  readonly hex: string;
  readonly mtimeMs: number;
}

export interface TempListing {
  readonly name: string;
  readonly mtimeMs: number;
}

export interface SweepPlan {
  /** Unreferenced blobs older than the cutoff: to delete. */
  readonly deleteBlobs: string[];
  /** Unreferenced blobs younger than the cutoff: kept for a writer that may still publish them. */
  readonly youngBlobs: string[];
  /** Temp files older than the cutoff whose writer is gone. */
  readonly deleteTemps: string[];
  /** Temp files kept: young, their writer is alive, or the name is not one of ours. */
  readonly keptTemps: string[];
}

/**
 * Decides the sweep. `cutoffMs` must be taken before the listing and the mark (a blob written
 * after the cutoff is young whatever happens during the scan); `reachable` is the complete mark,
 * never filtered by age; `isWriterAlive` says whether a temp file's owning pid still runs.
 * Law: a reachable blob is never in `deleteBlobs`.
 */
export function planSweep(
  blobs: readonly BlobListing[],
  temps: readonly TempListing[],
  reachable: ReadonlySet<string>,
  cutoffMs: number,
  isWriterAlive: (pid: number) => boolean,
): SweepPlan {
  const plan: SweepPlan = { deleteBlobs: [], youngBlobs: [], deleteTemps: [], keptTemps: [] };
  for (const blob of blobs) {
    if (reachable.has(`sha256:${blob.hex}`)) continue;
    (blob.mtimeMs < cutoffMs ? plan.deleteBlobs : plan.youngBlobs).push(blob.hex);
  }
  for (const temp of temps) {
    const pid = tempOwnerPid(temp.name);
    const old = temp.mtimeMs < cutoffMs;
    (old && pid !== undefined && !isWriterAlive(pid) ? plan.deleteTemps : plan.keptTemps).push(temp.name);
  }
  return plan;
}
