// Turns changes into fully decided tar members: metadata policy, whiteout names, xattr filtering (pure).
import { isPrivateXattr } from '../classify/namespace.js';
import { WH_OPAQUE, WH_PREFIX } from '../classify/whiteout.js';
import { assertNever } from '../errors.js';
import type { FsEntry, TarEntry, TarEntryType, Xattr } from '../types.js';

export interface EntryPolicy {
  /** Clamp mtimes to this many seconds since the epoch. */
  readonly sourceDateEpoch?: bigint;
  /** Called once per empty xattr value left out. */
  readonly onEmptyXattr: () => void;
}

const NS_PER_SECOND = 1_000_000_000n;

/**
 * The tar member for a walked entry. mtimes are truncated (not rounded) to whole seconds and
 * clamped to SOURCE_DATE_EPOCH; atime, ctime, uname and gname never appear, so the same tree
 * always encodes to the same bytes. `linkTarget` makes the member a hardlink to an earlier name.
 */
export function entryMember(entry: FsEntry, policy: EntryPolicy, hardlinkTo?: Buffer): TarEntry {
  const { stat } = entry;
  const mtime = truncateToSeconds(stat.mtimeNs);
  const base = {
    path: entry.path,
    mode: stat.mode,
    uid: stat.uid,
    gid: stat.gid,
    mtime: policy.sourceDateEpoch !== undefined && mtime > policy.sourceDateEpoch ? policy.sourceDateEpoch : mtime,
    devMajor: 0,
    devMinor: 0,
  };
  // A link shares its target's inode: the target member already carries the xattrs.
  if (hardlinkTo !== undefined) return { ...base, type: 'hardlink', size: 0n, linkTarget: hardlinkTo, xattrs: [] };
  const type = memberType(entry);
  const xattrs = layerXattrs(entry.xattrs, policy);
  switch (type) {
    case 'file':
      return { ...base, xattrs, type, size: stat.size, source: entry.data ?? { absPath: entry.absPath, dev: stat.dev, ino: stat.ino } };
    case 'symlink':
      return { ...base, xattrs, type, size: 0n, linkTarget: entry.linkTarget ?? Buffer.alloc(0) };
    case 'char':
    case 'block':
      return { ...base, xattrs, type, size: 0n, devMajor: stat.rdevMajor, devMinor: stat.rdevMinor };
    case 'dir':
    case 'fifo':
    case 'hardlink':
      return { ...base, xattrs, type, size: 0n };
    default:
      return assertNever(type);
  }
}

function memberType(entry: FsEntry): TarEntryType {
  const type = entry.stat.type;
  if (type === 'socket') throw new Error('sockets have no tar member; classify drops them');
  return type;
}

// Truncation toward negative infinity, so 1.9 s → 1 and -0.5 s → -1 (never rounded up).
function truncateToSeconds(ns: bigint): bigint {
  const s = ns / NS_PER_SECOND;
  return ns < 0n && s * NS_PER_SECOND !== ns ? s - 1n : s;
}

/**
 * The xattrs a layer carries: every overlay-private one is dropped (they describe the mount, not
 * the file); the rest keep their raw bytes, security.capability included. An empty value is left
 * out and counted, because a PAX record with an empty value deletes the key instead of setting it.
 */
export function layerXattrs(xattrs: readonly Xattr[], policy: Pick<EntryPolicy, 'onEmptyXattr'>): Xattr[] {
  const kept: Xattr[] = [];
  for (const x of xattrs) {
    if (isPrivateXattr(x.name)) continue;
    if (x.value.length === 0) {
      policy.onEmptyXattr();
      continue;
    }
    kept.push(x);
  }
  return kept;
}

/** `dir/.wh.NAME`, the whiteout of a deleted `dir/NAME`. */
export function whiteoutMember(path: Buffer): TarEntry {
  const slash = path.lastIndexOf(0x2f);
  const name = Buffer.concat([path.subarray(0, slash + 1), WH_PREFIX, path.subarray(slash + 1)]);
  return markerMember(name);
}

/** `dir/.wh..wh..opq`, the marker that hides the lower content of an opaque `dir`. */
export function opaqueMember(dir: Buffer): TarEntry {
  return markerMember(Buffer.concat([dir, Buffer.from('/'), WH_OPAQUE]));
}

// Whiteout markers have fixed metadata so output never depends on who deleted what, or when.
function markerMember(path: Buffer): TarEntry {
  return { path, type: 'file', mode: 0, uid: 0, gid: 0, mtime: 0n, size: 0n, devMajor: 0, devMinor: 0, xattrs: [] };
}
