// Recognises overlay whiteouts: a char device 0:0, or an xattr whiteout inside an `opaque=x` directory.
import type { FsStat, Xattr } from '../types.js';
import { findXattr, type Dialect } from './namespace.js';

export const WH_PREFIX = Buffer.from('.wh.');
export const WH_OPAQUE = Buffer.concat([WH_PREFIX, WH_PREFIX, Buffer.from('.opq')]);

/**
 * True when the entry is a whiteout. The kernel may share one whiteout inode between many names
 * (nlink > 1), so a whiteout is never a hardlink. An xattr whiteout (a zero-size file carrying
 * `<ns>.overlay.whiteout`) only counts inside a directory marked `<ns>.overlay.opaque=x`, as in the kernel.
 */
export function isWhiteout(stat: FsStat, xattrs: readonly Xattr[], dialect: Dialect, parentHasXattrWhiteouts: boolean): boolean {
  if (stat.type === 'char') return stat.rdevMajor === 0 && stat.rdevMinor === 0;
  return parentHasXattrWhiteouts && stat.type === 'file' && stat.size === 0n && findXattr(xattrs, dialect.xattr('whiteout')) !== undefined;
}

/** True for a name that a layer reserves for whiteouts (`.wh.` prefix). */
export function isWhiteoutName(name: Buffer): boolean {
  return name.length >= WH_PREFIX.length && name.subarray(0, WH_PREFIX.length).equals(WH_PREFIX);
}
