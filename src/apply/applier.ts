// Applies tar members one by one to a target directory: whiteouts, opaque markers, entries, metadata.
import { closeSync, writeSync } from 'node:fs';
import { OverlaydiffError, displayPath, errnoCode, ioError } from '../errors.js';
import { isDirStat, rootedAt, type AtStat } from '../fsio/rooted-at.js';
import type { Dialect } from '../classify/namespace.js';
import type { TarEntry } from '../types.js';
import { componentsKey, memberComponents, parseMemberPath } from '../layer/member-path.js';
import { EntryMetadata, atLocation } from './entry-metadata.js';
import { RootedTree } from './rooted-tree.js';

/** How `apply` writes a layer: as a plain tree, or as an overlay lower (see `ApplyOptions.format`). */
export type ApplyFormat = 'plain' | 'overlay';

/** What an apply did; `diffID` and `digest` are filled in by `apply()`. */
export interface ApplyCounts {
  /** Tar members read, whiteouts and opaque markers included. */
  entries: number;
  /** `.wh.NAME` members (in overlay format: whiteout devices made). */
  whiteouts: number;
  /** `.wh..wh..opq` members. */
  opaqueDirs: number;
  /** Device members not created: not root, or the kernel refused (EPERM). */
  devicesSkipped: number;
  /** Overlay-private xattrs (`trusted.overlay.*`, `user.overlay.*`, `user.fuseoverlayfs.*`) left out. */
  privateXattrsDropped: number;
  /** Members whose owner was not applied (not root, or an id this user namespace cannot map). */
  ownershipSkipped: number;
  /** Nodes made with mknodat(2): devices, fifos, overlay whiteouts. */
  mknodCalls: number;
}

export interface ApplierOptions {
  readonly format: ApplyFormat;
  /** The namespace an opaque directory's marker is written in (overlay format). */
  readonly dialect: Dialect;
  /** undefined: apply owners when running as root, count failures as skipped. true: always, failures are errors. */
  readonly sameOwner: boolean | undefined;
}

const OPAQUE_VALUE = Buffer.from('y');
const EMPTY = Buffer.alloc(0);
const MKNOD_KIND = { char: 'c'.charCodeAt(0), block: 'b'.charCodeAt(0), fifo: 'p'.charCodeAt(0) } as const;

interface DeferredDir {
  readonly rel: readonly Buffer[];
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mode: number;
  readonly mtime: bigint;
}

/**
 * The state of one apply. Every filesystem call goes through the RootedTree's directory fds
 * (see rooted-tree.ts): a member's parent is resolved to an fd inside the root, and the member is
 * created, changed or removed by name relative to that fd, never by a path string. Metadata is
 * set on an fd of the inode this apply created (checked by type), so a concurrent writer that
 * swaps the name cannot redirect a chown or a setuid chmod to its own file.
 *
 * Paths this layer created are remembered (by their resolved location), so a whiteout or opaque
 * marker removes lower content only, whatever the member order (containerd writes an opaque
 * marker after its directory's children). Memory grows with the number of members, like a
 * hardlink table.
 */
export class Applier {
  readonly counts: ApplyCounts = {
    entries: 0,
    whiteouts: 0,
    opaqueDirs: 0,
    devicesSkipped: 0,
    privateXattrsDropped: 0,
    ownershipSkipped: 0,
    mknodCalls: 0,
  };
  readonly #tree: RootedTree;
  readonly #options: ApplierOptions;
  readonly #created = new Set<string>();
  /** Directories with something created by this layer below them. */
  readonly #holdsCreated = new Set<string>();
  readonly #deferred = new Map<string, DeferredDir>();
  readonly #euid = process.geteuid?.() ?? -1;
  readonly #meta: EntryMetadata;
  #closed = false;

  constructor(dir: string | Buffer, options: ApplierOptions) {
    this.#tree = new RootedTree(dir);
    this.#options = options;
    this.#meta = new EntryMetadata(this.counts, options.sameOwner, (rel) => this.#tree.describe(rel));
  }

  /** Applies one member; `body` is consumed for a regular file. */
  async member(entry: Omit<TarEntry, 'source'>, body: AsyncIterable<Buffer>): Promise<void> {
    this.counts.entries++;
    const path = parseMemberPath(entry.path, entry.type);
    switch (path.kind) {
      case 'root':
        return this.#dirMetadata(entry, this.#tree.root.fd, []);
      case 'opaque':
        return this.#opaque(path.parents, entry.path);
      case 'aufs-meta':
        return;
      case 'whiteout':
        return this.#whiteout(path.parents, path.name, entry.path);
      case 'entry':
        return this.#create(entry, body, path.parents, path.leaf);
    }
  }

  /** Sets directory modes and mtimes, deepest work last-in first (after all children exist), then cleans up. */
  finish(): void {
    for (const dir of [...this.#deferred.values()].reverse()) {
      // Re-resolved without following symlinks: a directory replaced since is skipped.
      const found = this.#tree.resolveDir(dir.rel, false, EMPTY, false);
      if (found === undefined) continue;
      const st = rootedAt.lstatAt(found.fd, EMPTY);
      if (st === undefined || !isDirStat(st) || st.dev !== dir.dev || st.ino !== dir.ino) continue;
      try {
        rootedAt.chmodAt(found.fd, EMPTY, dir.mode);
        rootedAt.utimesAt(found.fd, EMPTY, dir.mtime, 0);
      } catch (err) {
        throw ioError('set directory mode and mtime', this.#tree.describe(dir.rel), err);
      }
    }
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#tree.close();
  }

  #whiteout(parents: readonly Buffer[], name: Buffer, member: Buffer): void {
    this.counts.whiteouts++;
    const overlay = this.#options.format === 'overlay';
    const dir = this.#tree.resolveDir(parents, overlay, member);
    if (dir === undefined) return; // nothing below a missing directory to hide
    const rel = [...dir.rel, name];
    this.#removeLower(dir.fd, name, rel);
    if (!overlay || this.#created.has(componentsKey(rel))) return;
    if (this.#lstat(dir.fd, name, rel) !== undefined) return; // a directory holding this layer's entries stays
    this.#mknod(dir.fd, name, rel, 'char', 0, 0) || failPrivilege(member, 'create a whiteout device');
    this.#markCreated(rel); // a later opaque marker of the same layer keeps it
  }

  #opaque(parents: readonly Buffer[], member: Buffer): void {
    this.counts.opaqueDirs++;
    const overlay = this.#options.format === 'overlay';
    const dir = this.#tree.resolveDir(parents, overlay, member);
    if (dir === undefined) return;
    for (const child of this.#children(dir.fd, dir.rel)) this.#removeLower(dir.fd, child, [...dir.rel, child]);
    if (overlay) this.#meta.setXattr(dir.fd, EMPTY, dir.rel, this.#options.dialect.xattr('opaque'), OPAQUE_VALUE);
  }

  // Removes `name` in `dirfd` unless this layer made it; in a directory holding this layer's
  // entries, removes the rest around them (descending through fds of its own).
  #removeLower(dirfd: number, name: Buffer, rel: readonly Buffer[]): void {
    const key = componentsKey(rel);
    if (this.#created.has(key)) return;
    const st = this.#lstat(dirfd, name, rel);
    if (st === undefined) return;
    if (isDirStat(st) && this.#holdsCreated.has(key)) {
      const fd = this.#openDir(dirfd, name, rel);
      try {
        for (const child of this.#children(fd, rel)) this.#removeLower(fd, child, [...rel, child]);
      } finally {
        closeSync(fd);
      }
      return;
    }
    this.#remove(dirfd, name, rel);
  }

  async #create(entry: Omit<TarEntry, 'source'>, body: AsyncIterable<Buffer>, parents: readonly Buffer[], leaf: Buffer): Promise<void> {
    // A hardlink's target is found first, so a bad one fails before anything is replaced.
    const source = entry.type === 'hardlink' ? this.#hardlinkSource(entry) : undefined;
    try {
      const dir = this.#tree.resolveDir(parents, true, entry.path);
      if (dir === undefined) throw new Error('unreachable: resolveDir creates missing parents');
      const rel = [...dir.rel, leaf];
      const existing = this.#lstat(dir.fd, leaf, rel);
      if (source !== undefined && existing !== undefined && existing.dev === source.st.dev && existing.ino === source.st.ino) {
        if (source.name.equals(leaf) && sameDir(source.dirfd, dir.fd)) throw bad(entry.path, 'a hardlink to itself');
      }
      if (existing !== undefined && !(entry.type === 'dir' && isDirStat(existing))) this.#remove(dir.fd, leaf, rel);
      switch (entry.type) {
        case 'dir': {
          if (existing === undefined || !isDirStat(existing)) this.#call('create the directory', rel, () => rootedAt.mkdirAt(dir.fd, leaf, 0o700));
          const fd = this.#openDir(dir.fd, leaf, rel);
          try {
            this.#dirMetadata(entry, fd, rel);
          } finally {
            closeSync(fd);
          }
          break;
        }
        case 'file': {
          const fd = this.#call('create the file', rel, () => rootedAt.createFile(dir.fd, leaf, 0o600));
          try {
            await writeBody(fd, body, entry.size, entry.path, rel, this.#tree);
            this.#meta.inode(entry, fd, rel);
          } finally {
            closeSync(fd);
          }
          break;
        }
        case 'symlink':
          this.#call('create the symlink', rel, () => rootedAt.symlinkAt(entry.linkTarget ?? EMPTY, dir.fd, leaf));
          this.#meta.symlink(entry, dir.fd, leaf, rel);
          break;
        case 'hardlink':
          this.#call('create the hardlink', rel, () => rootedAt.linkAt(source!.dirfd, source!.name, dir.fd, leaf));
          break; // the link shares its target's inode and metadata
        case 'fifo':
          this.#mknod(dir.fd, leaf, rel, 'fifo', 0, 0) || failPrivilege(entry.path, 'create a fifo');
          this.#meta.node(entry, dir.fd, leaf, rel);
          break;
        case 'char':
        case 'block':
          if (this.#euid !== 0 || !this.#mknod(dir.fd, leaf, rel, entry.type, entry.devMajor, entry.devMinor)) {
            this.counts.devicesSkipped++;
            return;
          }
          this.#meta.node(entry, dir.fd, leaf, rel);
          break;
      }
      this.#markCreated(rel);
    } finally {
      if (source !== undefined) closeSync(source.dirfd);
    }
  }

  // The hardlink target, resolved inside the root like any member name; its last component is
  // not followed (linkat links a symlink itself), and it must exist. The fd is the caller's.
  #hardlinkSource(entry: Omit<TarEntry, 'source'>): { dirfd: number; name: Buffer; st: AtStat } {
    const parts = memberComponents(entry.linkTarget ?? EMPTY, 'hardlink target', entry.path);
    const leaf = parts.at(-1);
    if (leaf === undefined) throw bad(entry.path, 'a hardlink to the target directory itself');
    const dir = this.#tree.resolveDir(parts.slice(0, -1), false, entry.path);
    const st = dir === undefined ? undefined : this.#lstat(dir.fd, leaf, [...dir.rel, leaf]);
    if (dir === undefined || st === undefined) {
      throw bad(entry.path, `hardlink target ${displayPath(entry.linkTarget ?? EMPTY)} does not exist in the target`);
    }
    if (isDirStat(st)) throw bad(entry.path, 'a hardlink to a directory');
    return { dirfd: rootedAt.dupFd(dir.fd), name: leaf, st };
  }

  #markCreated(rel: readonly Buffer[]): void {
    this.#created.add(componentsKey(rel));
    // Every prefix of a recorded directory is recorded too: stop at the first one already there,
    // so a deep chain costs one key per member, not one per level (quadratic work per member).
    for (let i = rel.length - 1; i >= 0; i--) {
      const key = componentsKey(rel.slice(0, i));
      if (this.#holdsCreated.has(key)) break;
      this.#holdsCreated.add(key);
    }
  }

  // A directory's owner and xattrs now; its mode and mtime after all its children (finish()).
  #dirMetadata(entry: Omit<TarEntry, 'source'>, fd: number, rel: readonly Buffer[]): void {
    this.#meta.ownerAndXattrs(entry, fd, EMPTY, rel);
    const st = this.#lstat(fd, EMPTY, rel);
    if (st === undefined || !isDirStat(st)) throw ioError('set directory metadata', this.#tree.describe(rel), new Error('directory vanished'));
    const key = componentsKey(rel);
    this.#deferred.delete(key); // a repeated member: its last metadata wins, in member order
    this.#deferred.set(key, { rel, dev: st.dev, ino: st.ino, mode: entry.mode, mtime: entry.mtime });
  }

  // Makes a node with mode 0; false when the kernel refuses it for lack of privilege (EPERM).
  #mknod(dirfd: number, name: Buffer, rel: readonly Buffer[], kind: 'char' | 'block' | 'fifo', major: number, minor: number): boolean {
    this.counts.mknodCalls++;
    try {
      rootedAt.mknodAt(dirfd, name, MKNOD_KIND[kind], major, minor);
      return true;
    } catch (err) {
      if (errnoCode(err) === 'EPERM') return false;
      throw ioError(`create the ${kind === 'fifo' ? 'fifo' : 'device'}`, this.#tree.describe(rel), err);
    }
  }

  #lstat(dirfd: number, name: Buffer, rel: readonly Buffer[]): AtStat | undefined {
    return this.#call('lstat', rel, () => rootedAt.lstatAt(dirfd, name));
  }

  #openDir(dirfd: number, name: Buffer, rel: readonly Buffer[]): number {
    return this.#call('open the directory', rel, () => rootedAt.openDir(dirfd, name));
  }

  #remove(dirfd: number, name: Buffer, rel: readonly Buffer[]): void {
    this.#call('remove', rel, () => rootedAt.removeAt(dirfd, name));
  }

  #children(fd: number, rel: readonly Buffer[]): Buffer[] {
    return this.#call('list directory', rel, () => rootedAt.listDir(fd));
  }

  #call<T>(what: string, rel: readonly Buffer[], run: () => T): T {
    return atLocation(what, () => this.#tree.describe(rel), run);
  }
}

// True when two directory fds name the same directory.
function sameDir(a: number, b: number): boolean {
  const sa = rootedAt.lstatAt(a, EMPTY);
  const sb = rootedAt.lstatAt(b, EMPTY);
  return sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino;
}

async function writeBody(fd: number, body: AsyncIterable<Buffer>, size: bigint, member: Buffer, rel: readonly Buffer[], tree: RootedTree): Promise<void> {
  let written = 0n;
  for await (const chunk of body) {
    let offset = 0;
    try {
      while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
    } catch (err) {
      throw ioError('write', tree.describe(rel), err);
    }
    written += BigInt(chunk.length);
  }
  if (written !== size) throw bad(member, `the member holds ${written} of its ${size} bytes`);
}

function failPrivilege(member: Buffer, what: string): never {
  throw new OverlaydiffError('E_IO', `${displayPath(member)}: not permitted to ${what} here`, { path: member });
}

function bad(member: Buffer, why: string): OverlaydiffError {
  return new OverlaydiffError('E_BAD_ARCHIVE', `${displayPath(member)}: ${why}`, { path: member });
}
