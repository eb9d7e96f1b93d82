// Finds where a metacopy file's data lives: down its chain of origins in the lowers.
import { findXattr, type Dialect } from '../classify/namespace.js';
import { OverlaydiffError, displayPath } from '../errors.js';
import type { FsEntry } from '../types.js';
import type { MergedLowers } from './merged-lowers.js';

/**
 * For a file copied up with metacopy=on (`<ns>.overlay.metacopy` set), returns the entry with
 * `data` pointing at the lower file that holds its data: at `lowerPath` (its path as the lowers
 * see it) or at its `overlay.redirect`, following metacopy copies in the lowers (lowerdirs that
 * were upperdirs of metacopy mounts) down to real data. Its own blocks are holes (reading them
 * gives zeros), so without this the layer would silently hold zeros. Metadata stays the entry's:
 * the topmost copy has it. An entry from the lowers (`fromLowers`: inside a renamed directory) is
 * itself the top of such a chain. Other entries are returned as they are. A chain that ends
 * without data is an E_UNSUPPORTED_OVERLAY error naming the path.
 */
export function withMetacopyData(entry: FsEntry, lowerPath: Buffer, lowers: MergedLowers, dialect: Dialect, fromLowers: boolean): FsEntry {
  if (findXattr(entry.xattrs, dialect.xattr('metacopy')) === undefined) return entry;
  if (entry.stat.type !== 'file') {
    throw new OverlaydiffError('E_UNSUPPORTED_OVERLAY', `${displayPath(entry.absPath)}: overlay.metacopy is set on an entry that is not a regular file`, {
      path: entry.absPath,
    });
  }
  if (fromLowers) {
    const lower = lowers.read(lowerPath);
    if (lower?.data === undefined || !lower.absPath.equals(entry.absPath)) throw new Error(`lower entry moved during the walk: ${displayPath(entry.absPath)}`);
    return { ...entry, data: lower.data };
  }
  return { ...entry, data: lowers.metacopyData(entry, lowerPath, findXattr(entry.xattrs, dialect.xattr('redirect')), -1) };
}
