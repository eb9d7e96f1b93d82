// Detects overlay state whose meaning the differ cannot resolve from the upper entry.
import { OverlaydiffError, displayPath } from '../errors.js';
import type { FsEntry } from '../types.js';
import { findXattr, type Dialect } from './namespace.js';

/**
 * Throws E_UNSUPPORTED_OVERLAY for a non-directory carrying `<ns>.overlay.redirect` without
 * metacopy: nothing tells where its content is, and a guess would be a silently wrong layer.
 * (A renamed directory's content is read from its origin by the walk, a metacopy file's redirect
 * names its data origin, and index=on copy-ups are linked to their aliases.)
 */
export function assertNoUnsupportedFeature(entry: FsEntry, dialect: Dialect): void {
  if (entry.stat.type === 'dir' || findXattr(entry.xattrs, dialect.xattr('redirect')) === undefined) return;
  if (findXattr(entry.xattrs, dialect.xattr('metacopy')) !== undefined) return;
  throw new OverlaydiffError(
    'E_UNSUPPORTED_OVERLAY',
    `${displayPath(entry.absPath)}: ${dialect.namespace}.overlay.redirect is set on a non-directory without ` +
      `metacopy; its content cannot be located from the upperdir`,
    { path: entry.absPath },
  );
}
