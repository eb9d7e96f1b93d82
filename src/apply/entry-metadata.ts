// Sets a created entry's owner, xattrs, mode and mtime on the inode apply made, through fds (never a path).
import { closeSync } from 'node:fs';
import { OverlaydiffError, displayPath, errnoCode, ioError } from '../errors.js';
import { rootedAt, S_IFMT } from '../fsio/rooted-at.js';
import type { TarEntry } from '../types.js';
import type { ApplyCounts } from './applier.js';
import { isPrivateXattr } from '../classify/namespace.js';

const SECURITY_CAPABILITY = Buffer.from('security.capability');
const S_IF = { fifo: 0o010000, char: 0o020000, block: 0o060000 } as const;
const EMPTY = Buffer.alloc(0);

type Entry = Omit<TarEntry, 'source'>;

/** Runs one syscall wrapper; a system error becomes an OverlaydiffError naming `where()` (built only then). */
export function atLocation<T>(what: string, where: () => Buffer, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof OverlaydiffError) throw err;
    throw ioError(what, where(), err);
  }
}

/**
 * Metadata in the order the kernel needs: owner before mode (chown clears setuid/setgid), xattrs
 * after chown (it clears security.capability), mtime last. Every call acts on an fd of the inode
 * apply made (checked by type), or for a symlink on (dir fd, name) without following it, so a
 * concurrent writer that swaps the name cannot redirect a chown or a setuid chmod to its own file.
 */
export class EntryMetadata {
  readonly #counts: ApplyCounts;
  readonly #sameOwner: boolean | undefined;
  readonly #describe: (rel: readonly Buffer[]) => Buffer;
  readonly #euid = process.geteuid?.() ?? -1;
  readonly #egid = process.getegid?.() ?? -1;

  /** `sameOwner`: undefined applies owners as root and counts failures; true makes them errors. */
  constructor(counts: ApplyCounts, sameOwner: boolean | undefined, describe: (rel: readonly Buffer[]) => Buffer) {
    this.#counts = counts;
    this.#sameOwner = sameOwner;
    this.#describe = describe;
  }

  /** Everything, on `fd`: a regular file's write fd or a checked node's O_PATH fd. */
  inode(entry: Entry, fd: number, rel: readonly Buffer[]): void {
    this.ownerAndXattrs(entry, fd, EMPTY, rel);
    this.#call('set mode and mtime', rel, () => {
      rootedAt.chmodAt(fd, EMPTY, entry.mode);
      rootedAt.utimesAt(fd, EMPTY, entry.mtime, 0);
    });
  }

  /** Owner and xattrs of `name` in `fd` ('' for the fd's own inode). */
  ownerAndXattrs(entry: Entry, fd: number, name: Buffer, rel: readonly Buffer[], isSymlink = false): void {
    this.#chown(fd, name, rel, entry);
    for (const xattr of entry.xattrs) {
      if (isPrivateXattr(xattr.name)) {
        this.#counts.privateXattrsDropped++;
        continue;
      }
      if (isSymlink && xattr.name.equals(SECURITY_CAPABILITY)) {
        throw new OverlaydiffError('E_BAD_ARCHIVE', `${displayPath(entry.path)}: security.capability on a symlink`, { path: entry.path });
      }
      this.setXattr(fd, name, rel, xattr.name, xattr.value);
    }
  }

  /**
   * A fifo or device just made: through an O_PATH fd, once that fd is checked to be a node of the
   * type made (a concurrent writer may have replaced the name meanwhile).
   */
  node(entry: Entry, dirfd: number, name: Buffer, rel: readonly Buffer[]): void {
    const fd = this.#call('open the node', rel, () => rootedAt.openPath(dirfd, name));
    try {
      const st = this.#call('lstat', rel, () => rootedAt.lstatAt(fd, EMPTY));
      const kind = entry.type === 'fifo' || entry.type === 'char' || entry.type === 'block' ? S_IF[entry.type] : -1;
      if (st === undefined || (st.mode & S_IFMT) !== kind) {
        throw new OverlaydiffError('E_IO', `${displayPath(this.#describe(rel))}: replaced while being applied; is another process writing the target?`, {
          path: entry.path,
        });
      }
      this.inode(entry, fd, rel);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * A symlink's owner, xattrs and mtime by name with AT_SYMLINK_NOFOLLOW (an O_PATH fd of a symlink
   * has no chmod, utimes or xattr call); never its mode. Whatever a concurrent writer puts at the
   * name instead is inside the root and gets no mode bits; security.capability (which the kernel
   * allows on regular files only) is never set this way.
   */
  symlink(entry: Entry, dirfd: number, name: Buffer, rel: readonly Buffer[]): void {
    this.ownerAndXattrs(entry, dirfd, name, rel, true);
    this.#call('set mtime', rel, () => rootedAt.utimesAt(dirfd, name, entry.mtime, 0));
  }

  setXattr(fd: number, name: Buffer, rel: readonly Buffer[], xattrName: Buffer, value: Buffer): void {
    this.#call(`set xattr ${displayPath(xattrName)}`, rel, () => rootedAt.setXattrAt(fd, name, xattrName, value));
  }

  #chown(fd: number, name: Buffer, rel: readonly Buffer[], entry: Entry): void {
    if (!(this.#sameOwner ?? this.#euid === 0)) {
      if (entry.uid !== this.#euid || entry.gid !== this.#egid) this.#counts.ownershipSkipped++;
      return;
    }
    try {
      rootedAt.chownAt(fd, name, entry.uid, entry.gid);
    } catch (err) {
      const code = errnoCode(err);
      // EINVAL: an id this user namespace does not map; EPERM: no CAP_CHOWN.
      if (this.#sameOwner !== true && (code === 'EINVAL' || code === 'EPERM')) this.#counts.ownershipSkipped++;
      else throw ioError(`set owner ${entry.uid}:${entry.gid}`, this.#describe(rel), err);
    }
  }

  #call<T>(what: string, rel: readonly Buffer[], run: () => T): T {
    return atLocation(what, () => this.#describe(rel), run);
  }
}
