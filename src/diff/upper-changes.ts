// Joins the upper walk with the merged lowers and classifies each entry into changes.
import { classifyEntry, type LowerView } from '../classify/classify-entry.js';
import type { Dialect } from '../classify/namespace.js';
import { hasXattrWhiteouts, isOpaqueDir } from '../classify/opaque.js';
import type { MergedLowers } from '../lowers/merged-lowers.js';
import type { Change, FsEntry } from '../types.js';
import { walkTree } from '../walk/upper-walk.js';

/** An upper directory on the path being walked, with what it means for its children. */
interface UpperDir {
  readonly path: Buffer;
  /** It or an ancestor is opaque in the mount's namespace: nothing below it comes from the lowers. */
  readonly hidesLowers: boolean;
  readonly xattrWhiteouts: boolean;
}

/**
 * Yields the changes of `upper` above `lowers`, in canonical walk order. The lowers are consulted
 * only at upper paths (cost grows with the change, not the image), and never below an opaque
 * upper directory, where the merged view shows nothing of them.
 */
export async function* upperChanges(upper: Buffer, lowers: MergedLowers, dialect: Dialect, signal?: AbortSignal): AsyncGenerator<Change> {
  const ancestors: UpperDir[] = [];
  for await (const entry of walkTree(upper, signal)) {
    while (ancestors.length > 0 && !isAncestorOf(ancestors[ancestors.length - 1]!.path, entry.path)) ancestors.pop();
    const parent = ancestors[ancestors.length - 1];
    const hidden = parent?.hidesLowers ?? false;
    const lower: LowerView | undefined = hidden ? undefined : lowers.lookup(entry.path);
    yield* classifyEntry(entry, lower, { dialect, parentHasXattrWhiteouts: parent?.xattrWhiteouts ?? false });
    if (entry.stat.type === 'dir') ancestors.push(upperDir(entry, dialect, hidden));
  }
}

function upperDir(entry: FsEntry, dialect: Dialect, insideOpaque: boolean): UpperDir {
  return {
    path: entry.path,
    hidesLowers: insideOpaque || isOpaqueDir(entry.xattrs, dialect),
    xattrWhiteouts: hasXattrWhiteouts(entry.xattrs, dialect),
  };
}

function isAncestorOf(dir: Buffer, path: Buffer): boolean {
  return path.length > dir.length && path[dir.length] === 0x2f && path.subarray(0, dir.length).equals(dir);
}
