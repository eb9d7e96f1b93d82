// Compares an upper entry with its lower counterpart the way a layer would record them (pure).
import type { FsEntry, Xattr } from '../types.js';
import { isPrivateXattr } from './namespace.js';

/**
 * True when both entries would produce the same tar header: type, mode, owner, mtime (to the
 * nanosecond), size, device numbers, symlink target and non-private xattrs. File data is not
 * compared here.
 */
export function sameMetadata(a: FsEntry, b: FsEntry): boolean {
  const x = a.stat;
  const y = b.stat;
  return (
    x.type === y.type &&
    x.mode === y.mode &&
    x.uid === y.uid &&
    x.gid === y.gid &&
    x.mtimeNs === y.mtimeNs &&
    (x.type === 'dir' || x.size === y.size) &&
    x.rdevMajor === y.rdevMajor &&
    x.rdevMinor === y.rdevMinor &&
    sameBytes(a.linkTarget, b.linkTarget) &&
    sameXattrs(publicXattrs(a.xattrs), publicXattrs(b.xattrs))
  );
}

function publicXattrs(xattrs: readonly Xattr[]): Xattr[] {
  return xattrs.filter((x) => !isPrivateXattr(x.name));
}

function sameXattrs(a: readonly Xattr[], b: readonly Xattr[]): boolean {
  return a.length === b.length && a.every((x, i) => x.name.equals(b[i]!.name) && x.value.equals(b[i]!.value));
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}

/**
 * True when the lower entry has a non-private xattr the upper one lacks: extracting the upper's
 * entry over the lower's keeps it (appliers only set the attributes a member carries), so for a
 * directory, which is extracted in place, the layer must recreate it.
 */
export function dropsXattrs(upper: FsEntry, lower: FsEntry): boolean {
  const kept = publicXattrs(upper.xattrs);
  return publicXattrs(lower.xattrs).some((x) => !kept.some((y) => y.name.equals(x.name)));
}
