// Directory-fd-relative syscalls (openat2, mkdirat, linkat, mknodat, fchownat, ...) from the in-repo N-API addon.
import { loadNativeAddon } from './native-addon.js';

/** What `lstatAt` reports; `mode` includes the file type bits. */
export interface AtStat {
  readonly mode: number;
  readonly dev: bigint;
  readonly ino: bigint;
  readonly nlink: number;
}

/**
 * Every call takes a directory fd and one name component (Buffer; no '/', not '.' or '..'), and
 * never follows a symlink at that name; '' (where allowed) is the inode of the fd itself (any fd,
 * O_PATH included, but not a symlink's for chmod, utimes and xattrs). Errors are
 * Error objects with `.code` set to the errno name, as Node's own.
 */
export interface RootedAt {
  /** The directory at `path` as an O_PATH fd (the only call that takes a whole path). */
  openRoot(path: Buffer): number;
  /** A second fd for the same open directory, owned by the caller. */
  dupFd(fd: number): number;
  /** The directory `name` below `dirfd` as an O_PATH fd; ENOTDIR for a symlink or a non-directory. */
  openDir(dirfd: number, name: Buffer): number;
  /** An O_PATH|O_NOFOLLOW fd of the entry itself (a symlink too), owned by the caller. */
  openPath(dirfd: number, name: Buffer): number;
  lstatAt(dirfd: number, name: Buffer): AtStat | undefined;
  mkdirAt(dirfd: number, name: Buffer, mode: number): void;
  /** A new regular file, open for writing (O_EXCL|O_NOFOLLOW). */
  createFile(dirfd: number, name: Buffer, mode: number): number;
  symlinkAt(target: Buffer, dirfd: number, name: Buffer): void;
  linkAt(oldDirfd: number, oldName: Buffer, newDirfd: number, newName: Buffer): void;
  /** kind: 'c', 'b' or 'p' as a char code; the node gets mode 0. */
  mknodAt(dirfd: number, name: Buffer, kind: number, major: number, minor: number): void;
  /** Unlinks, or removes a whole directory tree through fds. */
  removeAt(dirfd: number, name: Buffer): void;
  readLinkAt(dirfd: number, name: Buffer): Buffer;
  listDir(dirfd: number): Buffer[];
  chownAt(dirfd: number, name: Buffer, uid: number, gid: number): void;
  /** ELOOP on a symlink: a symlink is never chmodded, nor anything through it. */
  chmodAt(dirfd: number, name: Buffer, mode: number): void;
  /** atime and mtime, exactly as given (negative seconds too). */
  utimesAt(dirfd: number, name: Buffer, seconds: bigint, nanoseconds: number): void;
  setXattrAt(dirfd: number, name: Buffer, xattrName: Buffer, value: Buffer): void;
}

// The package's addon, loaded on first use (importing this module needs no native code).
export const rootedAt: RootedAt = new Proxy({} as RootedAt, {
  get: (_, name) => loadNativeAddon<Record<string | symbol, unknown>>()[name],
});

/** File type bits of `AtStat.mode`. */
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;

export function isDirStat(st: AtStat): boolean {
  return (st.mode & S_IFMT) === S_IFDIR;
}

export function isSymlinkStat(st: AtStat): boolean {
  return (st.mode & S_IFMT) === S_IFLNK;
}
