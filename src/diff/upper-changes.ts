// Joins the merged upper walk with the merged lowers and classifies each entry into changes.
import { classifyEntry, type ContentCheck } from '../classify/classify-entry.js';
import { dropsXattrs } from '../classify/same-metadata.js';
import { isWhiteout } from '../classify/whiteout.js';
import type { Dialect } from '../classify/namespace.js';
import { sameContent } from '../fsio/same-content.js';
import { compareCanonical } from '../canonical-order.js';
import { findXattr } from '../classify/namespace.js';
import { OverlaydiffError, displayPath } from '../errors.js';
import { withMetacopyData } from '../lowers/metacopy.js';
import { indexAliases, indexedEntry } from '../lowers/index-aliases.js';
import type { MergedLowers } from '../lowers/merged-lowers.js';
import { indexNeedsWorkdir, type WorkdirIndex } from '../lowers/workdir-index.js';
import type { Change, DiffStats, FsEntry, LowerLayerDir } from '../types.js';
import type { ExcludeFilter } from '../walk/exclude.js';
import { walkStack } from '../walk/stack-walk.js';

/** An upper directory on the path being walked, with what it means for its children. */
interface UpperDir {
  readonly path: Buffer;
  /** It or an ancestor hides the lowers: nothing below it comes from them. */
  readonly hidesLowers: boolean;
}

export interface ChangeOptions {
  readonly dialect: Dialect;
  readonly stats: Pick<DiffStats, 'socketsSkipped'>;
  /** Paths neither emitted nor whited out, with their subtrees. */
  readonly exclude?: ExcludeFilter;
  /** The overlay's inode index (index=on, read from the workdir of the one upperdir). */
  readonly index?: WorkdirIndex;
  readonly signal?: AbortSignal;
}

/**
 * Yields the changes of the upper stack (topmost first; one upperdir, or several to squash)
 * above `lowers`, in canonical order. The lowers are consulted only at upper paths (cost grows
 * with the change, not the image), and never below an upper directory that hides them — except
 * with a non-empty index (index=on), whose aliases are found by one walk of the merged lowers:
 * they are merged into the walk in canonical order, and one the walk yields itself (inside a
 * renamed or recreated dir) is left to the walk, so no path comes twice.
 */
export async function* upperChanges(uppers: readonly Buffer[], lowers: MergedLowers, options: ChangeOptions): AsyncGenerator<Change> {
  const { dialect, stats, exclude, signal, index } = options;
  const ancestors: UpperDir[] = [];
  const aliases = index !== undefined && index.size > 0 ? indexAliases(index, lowers, uppers[0]!, dialect) : [];
  let nextAlias = 0;
  // The aliases before `path` (all that are left when undefined); one equal to it is the walk's.
  function* aliasesBefore(path: Buffer | undefined): Generator<Change> {
    for (; nextAlias < aliases.length; nextAlias++) {
      const alias = aliases[nextAlias]!;
      const order = path === undefined ? -1 : compareCanonical(alias.path, path);
      if (order > 0) return;
      if (order < 0 && !isExcluded(alias.path, exclude)) yield { kind: 'add', path: alias.path, entry: alias, linksOutside: 'index' };
    }
  }
  // The ancestors of `path` on the walk, and whether one of them hides the lowers.
  const hiddenAt = (path: Buffer): boolean => {
    while (ancestors.length > 0 && !isAncestorOf(ancestors[ancestors.length - 1]!.path, path)) ancestors.pop();
    return ancestors[ancestors.length - 1]?.hidesLowers ?? false;
  };
  const recreate = (entry: FsEntry, lowerPath: Buffer): readonly LowerLayerDir[] | undefined => {
    if (hiddenAt(entry.path)) return undefined;
    const lower = lowers.read(lowerPath);
    return lower?.stat.type === 'dir' && dropsXattrs(entry, lower) ? lowers.dirLayers(lowerPath) : undefined;
  };
  const walk = { dialect, origins: (path: Buffer) => lowers.dirLayers(path), recreate, ...(exclude ? { exclude } : {}), ...(signal ? { signal } : {}) };
  for await (const walked of walkStack(uppers, walk)) {
    const { parentXattrWhiteouts, hidesBelow, fromLowers, recreated } = walked;
    yield* aliasesBefore(walked.entry.path);
    const hidden = hiddenAt(walked.entry.path);
    const whiteout = isWhiteout(walked.entry.stat, walked.entry.xattrs, dialect, parentXattrWhiteouts);
    let entry = whiteout ? walked.entry : withMetacopyData(walked.entry, walked.lowerPath, lowers, dialect, fromLowers);
    // Inside a renamed or recreated dir, an indexed lower inode shows as its copy in the index.
    const copy = !whiteout && fromLowers ? index?.copyOf(entry.absPath, entry.stat) : undefined;
    if (copy !== undefined) entry = indexedEntry(entry.path, entry, copy, dialect);
    const lower = hidden ? undefined : whiteout ? existence(lowers, entry.path) : lowers.read(entry.path);
    if (!whiteout && entry.stat.type === 'socket') stats.socketsSkipped++;
    if (!whiteout && !fromLowers && entry.stat.type !== 'dir' && findXattr(entry.xattrs, dialect.xattr('nlink')) !== undefined) {
      if (uppers.length > 1) throw indexWithSquash(entry);
      if (index === undefined) throw indexNeedsWorkdir(entry.absPath);
    }
    // The index's copy: its other links are the index's own and the aliases (which may be all).
    const indexed = copy !== undefined || (!whiteout && !fromLowers && index?.holds(entry.stat) === true);
    for (const change of classifyEntry(entry, lower, { dialect, parentHasXattrWhiteouts: parentXattrWhiteouts, hidesLowers: hidesBelow, recreated })) {
      if (change.kind === 'compare-content') {
        if (!sameData(change)) yield { kind: 'modify', path: entry.path, entry };
      } else if ((fromLowers || indexed) && (change.kind === 'add' || change.kind === 'modify')) {
        yield { ...change, linksOutside: indexed ? 'index' : 'any' };
      } else {
        yield change;
      }
    }
    if (entry.stat.type === 'dir') ancestors.push({ path: entry.path, hidesLowers: hidden || hidesBelow });
  }
  yield* aliasesBefore(undefined);
}

// An alias is left out when it or one of its directories is excluded.
function isExcluded(path: Buffer, exclude: ExcludeFilter | undefined): boolean {
  if (exclude === undefined) return false;
  for (let slash = path.indexOf(0x2f); slash >= 0; slash = path.indexOf(0x2f, slash + 1)) {
    if (exclude(path.subarray(0, slash), true)) return true;
  }
  return exclude(path, false);
}

/** Squashed uppers and index=on copy-ups do not mix: each upper's index is its own. */
function indexWithSquash(entry: FsEntry): OverlaydiffError {
  return new OverlaydiffError(
    'E_UNSUPPORTED_OVERLAY',
    `${displayPath(entry.absPath)}: copied up with index=on (overlay.nlink) inside squashed uppers; not supported: ` +
      'diff each upperdir with its own workdir (option `workdir`) instead',
    { path: entry.absPath },
  );
}

// A whiteout only needs to know that something is visible below; reading it in full is wasted work.
function existence(lowers: MergedLowers, path: Buffer): FsEntry | undefined {
  const hit = lowers.lookup(path);
  return hit === undefined ? undefined : { path, absPath: hit.absPath, stat: hit.stat, xattrs: [] };
}

function sameData({ entry, lower }: ContentCheck): boolean {
  return sameContent(entry.data?.absPath ?? entry.absPath, lower.data?.absPath ?? lower.absPath);
}

function isAncestorOf(dir: Buffer, path: Buffer): boolean {
  return path.length > dir.length && path[dir.length] === 0x2f && path.subarray(0, dir.length).equals(dir);
}
