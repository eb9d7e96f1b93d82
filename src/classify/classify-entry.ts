// Decides what one upper entry means for the layer, given what the merged lowers hold at its path (pure).
import { OverlaydiffError, displayPath } from '../errors.js';
import type { Change, FsEntry } from '../types.js';
import type { Dialect } from './namespace.js';
import { dropsXattrs, sameMetadata } from './same-metadata.js';
import { isWhiteout, isWhiteoutName } from './whiteout.js';

export interface ClassifyContext {
  readonly dialect: Dialect;
  /** The entry's parent is marked `<ns>.overlay.opaque=x` (may hold xattr whiteouts). */
  readonly parentHasXattrWhiteouts: boolean;
  /**
   * Directories: the upper stack hides the lowers' content here (an opaque dir in the mount's
   * namespace, or, when squashing, a whiteout or file below it in another upper).
   */
  readonly hidesLowers: boolean;
  /** Directories: the walk carries this dir's full merged content, so the layer recreates it. */
  readonly recreated?: boolean;
}

/**
 * A copied-up regular file whose metadata equals the lower's and whose mtime has no sub-second
 * part (tar-extracted files), so metadata cannot tell whether the data changed: the caller
 * compares contents and emits `modify` only when they differ.
 */
export interface ContentCheck {
  readonly kind: 'compare-content';
  readonly entry: FsEntry;
  readonly lower: FsEntry;
}

/**
 * The changes for one upper entry, in layer order (a dir's own change before its opaque marker).
 * `lower` is the merged lowers' entry at the same path (lstat semantics), or undefined when none
 * is visible. Rules (ARCHITECTURE.md D3): a whiteout deletes only what is visible below; an opaque dir
 * hides lower content only where the lowers have a directory; a copied-up dir whose metadata
 * equals the lower's is needed only as a parent; a copied-up non-dir equal to the lower is not
 * emitted unless it belongs to a hardlink set; a socket cannot be stored but still hides what is below.
 */
export function classifyEntry(entry: FsEntry, lower: FsEntry | undefined, ctx: ClassifyContext): (Change | ContentCheck)[] {
  const { path, stat } = entry;
  if (isWhiteout(stat, entry.xattrs, ctx.dialect, ctx.parentHasXattrWhiteouts)) {
    return lower === undefined ? [] : [{ kind: 'delete', path }];
  }
  assertRepresentableName(entry);
  if (stat.type === 'socket') {
    return lower === undefined ? [] : [{ kind: 'delete', path }];
  }
  if (lower === undefined) return [{ kind: 'add', path, entry }];
  if (stat.type === 'dir') {
    if (lower.stat.type !== 'dir') return [{ kind: 'add', path, entry }];
    // A dir is extracted in place: a removed xattr would survive, so delete the lower dir first.
    if (ctx.recreated === true || (ctx.hidesLowers && dropsXattrs(entry, lower))) {
      return [
        { kind: 'delete', path },
        { kind: 'add', path, entry },
      ];
    }
    if (ctx.hidesLowers)
      return [
        { kind: 'modify', path, entry },
        { kind: 'opaque', dir: path },
      ];
    return [{ kind: sameMetadata(entry, lower) ? 'parent' : 'modify', path, entry }];
  }
  // Every name of a hardlink set is emitted: skipping the "unchanged" one would split the set.
  // A copy-up of one name of a lower hardlink set breaks the set: only emitting it breaks it in the layer too.
  if (stat.nlink > 1n || lower.stat.nlink > 1n || !sameMetadata(entry, lower)) return [{ kind: 'modify', path, entry }];
  if (stat.type === 'file' && stat.mtimeNs % 1_000_000_000n === 0n) return [{ kind: 'compare-content', entry, lower }];
  return [];
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
