// Detects overlay features whose upper entries do not carry the whole truth (redirect, metacopy, index).
import { OverlaydiffError, displayPath } from '../errors.js';
import type { FsEntry } from '../types.js';
import { findXattr, type Dialect, type OverlayAttr } from './namespace.js';

const EXPLANATIONS: ReadonlyArray<readonly [OverlayAttr, string]> = [
  ['redirect', 'the entry was renamed with redirect_dir=on; its content lives at the origin in the lowers'],
  ['nlink', 'the entry was copied up with index=on; other names of its lower hardlink set changed too'],
];

/**
 * Throws E_UNSUPPORTED_OVERLAY when the entry carries redirect or index state in the mount's
 * namespace: diffing the upperdir alone would produce a silently wrong layer. (A metacopy file's
 * redirect only names its data origin, which the differ reads.)
 */
export function assertNoUnsupportedFeature(entry: FsEntry, dialect: Dialect): void {
  const metacopy = findXattr(entry.xattrs, dialect.xattr('metacopy')) !== undefined;
  for (const [attr, why] of EXPLANATIONS) {
    if (attr === 'redirect' && metacopy) continue;
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
