// Decides what one upper entry means for the layer, given what the merged lowers hold at its path (pure).
import { OverlaydiffError, displayPath } from '../errors.js';
import type { Change, FsEntry, FsStat, Xattr } from '../types.js';
import { assertNoUnsupportedFeature } from './features.js';
import { isPrivateXattr, type Dialect } from './namespace.js';
import { isOpaqueDir } from './opaque.js';
import { isWhiteout, isWhiteoutName } from './whiteout.js';

/** The merged lowers' entry at the same path: what a reader of the lowers sees there (lstat semantics). */
export interface LowerView {
  readonly stat: FsStat;
  /** Non-private xattrs; only needed (and only read) when the entry is a directory. */
  readonly xattrs?: readonly Xattr[];
}

export interface ClassifyContext {
  readonly dialect: Dialect;
  /** The entry's parent is marked `<ns>.overlay.opaque=x` (may hold xattr whiteouts). */
  readonly parentHasXattrWhiteouts: boolean;
}

/**
 * The changes for one upper entry, in layer order (a dir's own change before its opaque marker).
 * `lower` is the merged lowers' entry at the same path, or undefined when none is visible.
 * Rules (DESIGN §3): a whiteout deletes only what is visible below; an opaque dir hides lower
 * content only where the lowers have a directory; a copied-up dir whose metadata equals the
 * lower's is needed only as a parent; a socket cannot be stored but still hides what is below.
 */
export function classifyEntry(entry: FsEntry, lower: LowerView | undefined, ctx: ClassifyContext): Change[] {
  const { path, stat } = entry;
  if (isWhiteout(stat, entry.xattrs, ctx.dialect, ctx.parentHasXattrWhiteouts)) {
    return lower === undefined ? [] : [{ kind: 'delete', path }];
  }
  assertRepresentableName(entry);
  assertNoUnsupportedFeature(entry, ctx.dialect);
  if (stat.type === 'socket') {
    return lower === undefined ? [] : [{ kind: 'delete', path }];
  }
  if (stat.type !== 'dir') {
    return [{ kind: lower === undefined ? 'add' : 'modify', path, entry }];
  }
  const lowerIsDir = lower?.stat.type === 'dir';
  if (lowerIsDir && isOpaqueDir(entry.xattrs, ctx.dialect)) {
    return [{ kind: 'modify', path, entry }, { kind: 'opaque', dir: path }];
  }
  if (!lowerIsDir) return [{ kind: 'add', path, entry }];
  return [{ kind: sameDirMetadata(entry, lower) ? 'parent' : 'modify', path, entry }];
}

// A name starting with `.wh.` would read back as a whiteout: the layer cannot hold it.
function assertRepresentableName(entry: FsEntry): void {
  const slash = entry.path.lastIndexOf(0x2f);
  if (!isWhiteoutName(entry.path.subarray(slash + 1))) return;
  throw new OverlaydiffError(
    'E_UNREPRESENTABLE',
    `${displayPath(entry.absPath)}: the name starts with ".wh.", which an OCI layer reserves for whiteouts; ` +
      `it cannot be stored (rename it, or if this is a fuse-overlayfs upperdir, it is not supported yet)`,
    { path: entry.absPath },
  );
}

function sameDirMetadata(entry: FsEntry, lower: LowerView): boolean {
  const a = entry.stat;
  const b = lower.stat;
  return (
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.mtimeNs === b.mtimeNs &&
    sameXattrs(entry.xattrs.filter((x) => !isPrivateXattr(x.name)), lower.xattrs ?? [])
  );
}

function sameXattrs(a: readonly Xattr[], b: readonly Xattr[]): boolean {
  return a.length === b.length && a.every((x, i) => x.name.equals(b[i]!.name) && x.value.equals(b[i]!.value));
}
