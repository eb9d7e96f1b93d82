// changes: an overlay snapshot → the stream of Changes a layer writer turns into members (diff's first half).
import { abortableStream } from '../errors.js';
import { WorkdirIndex, assertIndexNotNeeded } from '../lowers/workdir-index.js';
import { MergedLowers } from '../lowers/merged-lowers.js';
import { emptyStats } from '../layer/stats.js';
import type { Change, ChangesOptions, DiffStats } from '../types.js';
import { planSnapshot, type SnapshotPlan } from './options.js';
import { upperChanges } from './upper-changes.js';

/**
 * Yields the changes that turn the lowers' merged view into the snapshot's: the stream `diff`
 * writes as a layer, for a builder that writes its own format (like continuity's `Changes` with a
 * `ChangeFunc`). Each {@link Change} comes in canonical order, each path once; see `Change` for
 * what a writer must do with each kind. Options are checked before the first change (E_USAGE,
 * E_NOT_FOUND, E_NOT_DIRECTORY, E_PERMISSION); a fired `signal` ends the stream with E_ABORTED.
 * Entries are read as the stream is consumed: a file's data is not copied, so read it (from
 * `entry.data ?? entry.absPath`) before the snapshot changes.
 */
export function changes(options: ChangesOptions): AsyncGenerator<Change> {
  const plan = planSnapshot(options);
  return abortableStream(plan.signal, snapshotChanges(plan, emptyStats()));
}

/** The change stream of a checked snapshot; counts the sockets it leaves out in `stats`. */
export function snapshotChanges(plan: SnapshotPlan, stats: Pick<DiffStats, 'socketsSkipped'>): AsyncGenerator<Change> {
  // index=on keeps part of the snapshot in the workdir: read it, or refuse an upper that needs it.
  const index = plan.workdir === undefined ? undefined : new WorkdirIndex(plan.workdir, plan.dialect);
  if (index === undefined) assertIndexNotNeeded(plan.uppers[0]!, plan.dialect);
  return upperChanges(plan.uppers, new MergedLowers(plan.lowers, plan.dialect), {
    dialect: plan.dialect,
    stats,
    ...(index === undefined ? {} : { index }),
    ...(plan.exclude === undefined ? {} : { exclude: plan.exclude }),
    ...(plan.signal === undefined ? {} : { signal: plan.signal }),
  });
}
