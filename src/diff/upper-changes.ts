// Joins the merged upper walk with the merged lowers and classifies each entry into changes.
import { classifyEntry, type ContentCheck } from '../classify/classify-entry.js';
import { dropsXattrs } from '../classify/same-metadata.js';
import { isWhiteout } from '../classify/whiteout.js';
import type { Dialect } from '../classify/namespace.js';
import { sameContent } from '../fsio/same-content.js';
import { withMetacopyData } from '../lowers/metacopy.js';
import { IndexAliases, indexWithSquash } from '../lowers/index-aliases.js';
import type { LayerDir, MergedLowers } from '../lowers/merged-lowers.js';
import type { Change, DiffStats, FsEntry } from '../types.js';
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
  readonly signal?: AbortSignal;
}

/**
 * Yields the changes of the upper stack (topmost first; one upperdir, or several to squash)
 * above `lowers`, in canonical walk order. The lowers are consulted only at upper paths (cost
 * grows with the change, not the image), and never below an upper directory that hides them.
 */
export async function* upperChanges(uppers: readonly Buffer[], lowers: MergedLowers, options: ChangeOptions): AsyncGenerator<Change> {
  const { dialect, stats, exclude, signal } = options;
  const ancestors: UpperDir[] = [];
  const aliases = new IndexAliases(lowers, uppers[0]!, dialect);
  // The ancestors of `path` on the walk, and whether one of them hides the lowers.
  const hiddenAt = (path: Buffer): boolean => {
    while (ancestors.length > 0 && !isAncestorOf(ancestors[ancestors.length - 1]!.path, path)) ancestors.pop();
    return ancestors[ancestors.length - 1]?.hidesLowers ?? false;
  };
  const recreate = (entry: FsEntry, lowerPath: Buffer): readonly LayerDir[] | undefined => {
    if (hiddenAt(entry.path)) return undefined;
    const lower = lowers.read(lowerPath);
    return lower?.stat.type === 'dir' && dropsXattrs(entry, lower) ? lowers.dirLayers(lowerPath) : undefined;
  };
  const walk = { dialect, origins: (path: Buffer) => lowers.dirLayers(path), recreate, ...(exclude ? { exclude } : {}), ...(signal ? { signal } : {}) };
  for await (const walked of walkStack(uppers, walk)) {
    const { parentXattrWhiteouts, hidesBelow, fromLowers, recreated } = walked;
    const hidden = hiddenAt(walked.entry.path);
    const whiteout = isWhiteout(walked.entry.stat, walked.entry.xattrs, dialect, parentXattrWhiteouts);
    const entry = whiteout ? walked.entry : withMetacopyData(walked.entry, walked.lowerPath, lowers, dialect);
    const lower = hidden ? undefined : whiteout ? existence(lowers, entry.path) : lowers.read(entry.path);
    if (!whiteout && entry.stat.type === 'socket') stats.socketsSkipped++;
    const indexed = !whiteout && !fromLowers && aliases.isIndexed(entry);
    if (indexed) {
      if (uppers.length > 1) throw indexWithSquash(entry);
      aliases.note(entry, walked.lowerPath);
    }
    for (const change of classifyEntry(entry, lower, { dialect, parentHasXattrWhiteouts: parentXattrWhiteouts, hidesLowers: hidesBelow, recreated })) {
      if (change.kind === 'compare-content') {
        if (!sameData(change)) yield { kind: 'modify', path: entry.path, entry };
      } else if ((fromLowers || indexed) && (change.kind === 'add' || change.kind === 'modify')) {
        yield { ...change, linksOutside: fromLowers ? 'any' : 'index' };
      } else {
        yield change;
      }
    }
    if (entry.stat.type === 'dir') ancestors.push({ path: entry.path, hidesLowers: hidden || hidesBelow });
  }
  // After the walk, so each alias follows the upper name it links to.
  for (const alias of aliases.aliases()) {
    if (exclude?.(alias.path) !== true) yield { kind: 'add', path: alias.path, entry: alias };
  }
}

// A whiteout only needs to know that something is visible below; reading it in full is wasted work.
function existence(lowers: MergedLowers, path: Buffer): FsEntry | undefined {
  const hit = lowers.lookup(path);
  return hit === undefined ? undefined : { path, absPath: hit.absPath, stat: hit.stat, xattrs: [] };
}

function sameData({ entry, lower }: ContentCheck): boolean {
  return sameContent(entry.data?.absPath ?? entry.absPath, lower.absPath);
}

function isAncestorOf(dir: Buffer, path: Buffer): boolean {
  return path.length > dir.length && path[dir.length] === 0x2f && path.subarray(0, dir.length).equals(dir);
}
