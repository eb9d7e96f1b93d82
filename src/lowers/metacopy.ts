// Finds where a metacopy upper file's data lives: its origin in the lowers.
import { findXattr, type Dialect } from '../classify/namespace.js';
import { OverlaydiffError, displayPath } from '../errors.js';
import type { FsEntry } from '../types.js';
import type { MergedLowers } from './merged-lowers.js';
import { redirectTarget } from './redirect.js';

/**
 * For an upper file copied up with metacopy=on (`<ns>.overlay.metacopy` set), returns the entry
 * with `data` pointing at its lower origin: the path in `<ns>.overlay.redirect` (absolute from
 * the overlay root, set when the file was renamed) or else the same path. The upper's own blocks
 * are holes (reading them gives zeros), so without this the layer would silently hold zeros.
 * Other entries are returned as they are. An origin that is missing, not a regular file, of
 * another size, or itself metacopy is an E_UNSUPPORTED_OVERLAY error naming the path.
 */
export function withMetacopyData(entry: FsEntry, lowerPath: Buffer, lowers: MergedLowers, dialect: Dialect): FsEntry {
  if (findXattr(entry.xattrs, dialect.xattr('metacopy')) === undefined) return entry;
  const redirect = findXattr(entry.xattrs, dialect.xattr('redirect'));
  const originPath = redirect === undefined ? lowerPath : redirectTarget(lowerPath, redirect);
  const origin = lowers.read(originPath);
  const fail = (why: string): never => {
    throw new OverlaydiffError(
      'E_UNSUPPORTED_OVERLAY',
      `${displayPath(entry.absPath)}: metacopy upper whose data origin ${displayPath(originPath)} in the lowers ${why}`,
      { path: entry.absPath },
    );
  };
  if (entry.stat.type !== 'file') fail('belongs to an entry that is not a regular file');
  if (origin === undefined) return fail('is not visible');
  if (origin.stat.type !== 'file') fail('is not a regular file');
  if (origin.stat.size !== entry.stat.size) fail(`has ${origin.stat.size} bytes, not ${entry.stat.size}`);
  if (findXattr(origin.xattrs, dialect.xattr('metacopy')) !== undefined) fail('is itself a metacopy file (not supported yet)');
  return { ...entry, data: { absPath: origin.absPath, dev: origin.stat.dev, ino: origin.stat.ino } };
}
