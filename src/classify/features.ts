// Detects overlay features whose upper entries do not carry the whole truth (redirect, metacopy, index).
import { OverlaydiffError, displayPath } from '../errors.js';
import type { FsEntry } from '../types.js';
import { findXattr, type Dialect, type OverlayAttr } from './namespace.js';

const EXPLANATIONS: ReadonlyArray<readonly [OverlayAttr, string]> = [
  ['redirect', 'a non-directory renamed with redirect_dir=on without metacopy'],
];

/**
 * Throws E_UNSUPPORTED_OVERLAY when the entry carries redirect or index state in the mount's
 * namespace that the differ does not resolve: diffing it would produce a silently wrong layer.
 * (A renamed directory's content is read from its origin by the walk, and a metacopy file's
 * redirect only names its data origin, which the differ reads.)
 */
export function assertNoUnsupportedFeature(entry: FsEntry, dialect: Dialect): void {
  const resolved = entry.stat.type === 'dir' || findXattr(entry.xattrs, dialect.xattr('metacopy')) !== undefined;
  for (const [attr, why] of EXPLANATIONS) {
    if (attr === 'redirect' && resolved) continue;
    if (findXattr(entry.xattrs, dialect.xattr(attr)) === undefined) continue;
    throw new OverlaydiffError(
      'E_UNSUPPORTED_OVERLAY',
      `${displayPath(entry.absPath)}: ${dialect.namespace}.overlay.${attr} is set (${why}); ` +
        `this layer cannot be diffed from the upperdir alone. Create the snapshot on a mount without ` +
        `redirect_dir, metacopy and index.`,
      { path: entry.absPath },
    );
  }
}
