// Applies tar members one by one to a target directory: whiteouts, opaque markers, entries, metadata.
import {
  chmodSync,
  closeSync,
  constants,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { OverlaydiffError, displayPath, errnoCode, ioError } from '../errors.js';
import { setXattr } from '../fsio/xattr.js';
import type { TarEntry, XattrNamespace } from '../types.js';
import { WH_META_PREFIX, WH_OPAQUE, WH_PREFIX, componentsKey, hasPrefix, isDotName, memberComponents } from './member-path.js';
import { RootedTree, type RootedPath } from './rooted-tree.js';
import { SpecialFiles } from './special-files.js';

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
  /** mknod(1) processes run (devices, fifos, overlay whiteouts). */
  mknodCalls: number;
}

export interface ApplierOptions {
  readonly format: ApplyFormat;
  readonly xattrNamespace: XattrNamespace;
  /** undefined: apply owners when running as root, count failures as skipped. true: always, failures are errors. */
  readonly sameOwner: boolean | undefined;
}

const PRIVATE_XATTR_PREFIXES = ['trusted.overlay.', 'user.overlay.', 'user.fuseoverlayfs.'].map((p) => Buffer.from(p));
const OPAQUE_VALUE = Buffer.from('y');

interface DeferredDir {
  readonly rel: readonly Buffer[];
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mode: number;
  readonly mtime: bigint;
}

/**
 * The state of one apply. Paths this layer created are remembered (by their resolved location),
 * so a whiteout or opaque marker removes lower content only, whatever the member order
 * (containerd writes an opaque marker after its directory's children). Memory grows with the
 * number of members, like a hardlink table.
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
  readonly #special: SpecialFiles;
  readonly #created = new Set<string>();
  /** Directories with something created by this layer below them. */
  readonly #holdsCreated = new Set<string>();
  readonly #deferred = new Map<string, DeferredDir>();
  readonly #euid = process.geteuid?.() ?? -1;
  readonly #egid = process.getegid?.() ?? -1;

  constructor(dir: string, options: ApplierOptions) {
    this.#tree = new RootedTree(dir);
    this.#options = options;
    this.#special = new SpecialFiles(this.#tree.root);
  }

  /** Applies one member; `body` is consumed for a regular file. */
  async member(entry: Omit<TarEntry, 'source'>, body: AsyncIterable<Buffer>): Promise<void> {
    this.counts.entries++;
    const parts = memberComponents(entry.path);
    const leaf = parts.at(-1);
    const parents = parts.slice(0, -1);
    for (const part of parents) {
      if (hasPrefix(part, WH_PREFIX)) throw bad(entry.path, 'a whiteout name cannot be a parent directory');
    }
    if (leaf === undefined) {
      if (entry.type !== 'dir') throw bad(entry.path, `the target directory itself cannot be a ${entry.type}`);
      this.#metadata(entry, { rel: [], abs: this.#tree.root });
      return;
    }
    if (leaf.equals(WH_OPAQUE)) return this.#opaque(parents, entry.path);
    if (hasPrefix(leaf, WH_META_PREFIX)) return; // aufs metadata (.wh..wh.plnk, ...): nothing to apply, as containerd
    if (hasPrefix(leaf, WH_PREFIX)) {
      const name = leaf.subarray(WH_PREFIX.length);
      if (name.length === 0) throw bad(entry.path, 'a whiteout with an empty name');
      // `.wh..` and `.wh...` would name the directory itself or its parent: never lower content.
      if (isDotName(name)) throw new OverlaydiffError('E_UNSAFE_PATH', `${displayPath(entry.path)}: a whiteout of '${name.toString('latin1')}' would delete a directory above it; refusing to apply it`, { path: entry.path });
      return this.#whiteout(parents, Buffer.from(name), entry.path);
    }
    await this.#create(entry, body, parents, leaf);
  }

  /** Sets directory modes and mtimes, deepest work last-in first (after all children exist), then cleans up. */
  finish(): void {
    for (const dir of [...this.#deferred.values()].reverse()) {
      const abs = this.#tree.recheckDir(dir.rel, dir.dev, dir.ino);
      if (abs === undefined) continue; // replaced by a later member: its metadata went with it
      try {
        chmodSync(abs, dir.mode);
        lutimesSync(abs, Number(dir.mtime), Number(dir.mtime));
      } catch (err) {
        throw ioError('set directory mode and mtime', abs, err);
      }
    }
    this.close();
  }

  close(): void {
    this.#special.close();
    this.counts.mknodCalls = this.#special.spawned;
  }

  #whiteout(parents: readonly Buffer[], name: Buffer, member: Buffer): void {
    this.counts.whiteouts++;
    const overlay = this.#options.format === 'overlay';
    const dir = this.#tree.resolveDir(parents, overlay, member);
    if (dir === undefined) return; // nothing below a missing directory to hide
    const rel = [...dir.rel, name];
    this.#removeLower(rel);
    if (!overlay || this.#created.has(componentsKey(rel))) return;
    const abs = this.#tree.absOf(rel);
    if (this.#tree.lstat(abs) !== undefined) return; // a directory holding this layer's entries stays
    this.#special.make(abs, 'char', 0, 0) || failPrivilege(member, 'create a whiteout device');
    this.#markCreated(rel); // a later opaque marker of the same layer keeps it
  }

  #opaque(parents: readonly Buffer[], member: Buffer): void {
    this.counts.opaqueDirs++;
    const overlay = this.#options.format === 'overlay';
    const dir = this.#tree.resolveDir(parents, overlay, member);
    if (dir === undefined) return;
    for (const child of this.#children(dir.abs)) this.#removeLower([...dir.rel, child]);
    if (overlay) this.#setXattr(dir.abs, Buffer.from(`${this.#options.xattrNamespace}.overlay.opaque`), OPAQUE_VALUE);
  }

  // Removes what is at `rel` unless this layer made it; in a directory holding this layer's
  // entries, removes the rest around them.
  #removeLower(rel: readonly Buffer[]): void {
    const key = componentsKey(rel);
    if (this.#created.has(key)) return;
    if (rel.length === 1 && rel[0]!.equals(this.#special.stagingName)) return;
    const abs = this.#tree.absOf(rel);
    const st = this.#tree.lstat(abs);
    if (st === undefined) return;
    if (st.isDirectory() && this.#holdsCreated.has(key)) {
      for (const child of this.#children(abs)) this.#removeLower([...rel, child]);
      return;
    }
    remove(abs, st.isDirectory());
  }

  async #create(entry: Omit<TarEntry, 'source'>, body: AsyncIterable<Buffer>, parents: readonly Buffer[], leaf: Buffer): Promise<void> {
    const dir = this.#tree.resolveDir(parents, true, entry.path);
    if (dir === undefined) throw new Error('unreachable: resolveDir creates missing parents');
    const target: RootedPath = { rel: [...dir.rel, leaf], abs: this.#tree.absOf([...dir.rel, leaf]) };
    if (target.rel.length === 1 && leaf.equals(this.#special.stagingName)) throw bad(entry.path, 'the name is reserved for this apply');
    const existing = this.#tree.lstat(target.abs);
    if (existing !== undefined && !(entry.type === 'dir' && existing.isDirectory())) remove(target.abs, existing.isDirectory());
    const { abs } = target;
    try {
      switch (entry.type) {
        case 'dir':
          if (existing === undefined || !existing.isDirectory()) mkdirSync(abs, 0o700);
          break;
        case 'file':
          await writeFile(abs, body, entry.size, entry.path);
          break;
        case 'symlink':
          symlinkSync(entry.linkTarget ?? Buffer.alloc(0), abs);
          break;
        case 'hardlink':
          linkSync(this.#hardlinkTarget(entry), abs);
          this.#markCreated(target.rel);
          return; // the link shares its target's inode and metadata
        case 'fifo':
          this.#special.make(abs, 'fifo', 0, 0) || failPrivilege(entry.path, 'create a fifo');
          break;
        case 'char':
        case 'block':
          if (this.#euid !== 0 || !this.#special.make(abs, entry.type, entry.devMajor, entry.devMinor)) {
            this.counts.devicesSkipped++;
            return;
          }
          break;
      }
    } catch (err) {
      if (err instanceof OverlaydiffError) throw err;
      throw ioError(`create the ${entry.type}`, abs, err);
    }
    this.#markCreated(target.rel);
    this.#metadata(entry, target);
  }

  // The hardlink target, resolved inside the root like any member name; its last component is
  // not followed (link(2) links a symlink itself), and it must exist.
  #hardlinkTarget(entry: Omit<TarEntry, 'source'>): Buffer {
    const parts = memberComponents(entry.linkTarget ?? Buffer.alloc(0), 'hardlink target', entry.path);
    const leaf = parts.at(-1);
    if (leaf === undefined) throw bad(entry.path, 'a hardlink to the target directory itself');
    const dir = this.#tree.resolveDir(parts.slice(0, -1), false, entry.path);
    const abs = dir === undefined ? undefined : this.#tree.absOf([...dir.rel, leaf]);
    const st = abs === undefined ? undefined : this.#tree.lstat(abs);
    if (abs === undefined || st === undefined) {
      throw bad(entry.path, `hardlink target ${displayPath(entry.linkTarget ?? Buffer.alloc(0))} does not exist in the target`);
    }
    if (st.isDirectory()) throw bad(entry.path, 'a hardlink to a directory');
    return abs;
  }

  #markCreated(rel: readonly Buffer[]): void {
    this.#created.add(componentsKey(rel));
    for (let i = 0; i < rel.length; i++) this.#holdsCreated.add(componentsKey(rel.slice(0, i)));
  }

  // Owner before mode (chown clears setuid/setgid), xattrs after chown (it clears
  // security.capability), mtime last; directories get mode and mtime after all their children.
  #metadata(entry: Omit<TarEntry, 'source'>, target: RootedPath): void {
    const { abs } = target;
    this.#chown(abs, entry);
    for (const xattr of entry.xattrs) {
      if (PRIVATE_XATTR_PREFIXES.some((p) => hasPrefix(xattr.name, p))) {
        this.counts.privateXattrsDropped++;
        continue;
      }
      this.#setXattr(abs, xattr.name, xattr.value);
    }
    try {
      if (entry.type === 'dir') {
        const st = this.#tree.lstat(abs);
        if (st === undefined) throw new Error('directory vanished');
        const key = componentsKey(target.rel);
        this.#deferred.delete(key); // a repeated member: its last metadata wins, in member order
        this.#deferred.set(key, { rel: target.rel, dev: st.dev, ino: st.ino, mode: entry.mode, mtime: entry.mtime });
        return;
      }
      if (entry.type !== 'symlink') chmodSync(abs, entry.mode); // the entry is not a symlink: chmod cannot follow one
      lutimesSync(abs, Number(entry.mtime), Number(entry.mtime));
    } catch (err) {
      throw ioError('set mode and mtime', abs, err);
    }
  }

  #chown(abs: Buffer, entry: Omit<TarEntry, 'source'>): void {
    const { sameOwner } = this.#options;
    if (!(sameOwner ?? this.#euid === 0)) {
      if (entry.uid !== this.#euid || entry.gid !== this.#egid) this.counts.ownershipSkipped++;
      return;
    }
    try {
      lchownSync(abs, entry.uid, entry.gid);
    } catch (err) {
      const code = errnoCode(err);
      // EINVAL: an id this user namespace does not map; EPERM: no CAP_CHOWN.
      if (sameOwner !== true && (code === 'EINVAL' || code === 'EPERM')) this.counts.ownershipSkipped++;
      else throw ioError(`set owner ${entry.uid}:${entry.gid}`, abs, err);
    }
  }

  #setXattr(abs: Buffer, name: Buffer, value: Buffer): void {
    try {
      setXattr(abs, name, value);
    } catch (err) {
      throw ioError(`set xattr ${displayPath(name)}`, abs, err);
    }
  }

  #children(abs: Buffer): Buffer[] {
    try {
      return readdirSync(abs, { encoding: 'buffer' });
    } catch (err) {
      throw ioError('list directory', abs, err);
    }
  }
}

async function writeFile(abs: Buffer, body: AsyncIterable<Buffer>, size: bigint, member: Buffer): Promise<void> {
  const fd = openSync(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    let written = 0n;
    for await (const chunk of body) {
      let offset = 0;
      while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
      written += BigInt(chunk.length);
    }
    if (written !== size) throw bad(member, `the member holds ${written} of its ${size} bytes`);
  } finally {
    closeSync(fd);
  }
}

function remove(abs: Buffer, isDir: boolean): void {
  try {
    if (isDir) rmSync(abs, { recursive: true, force: true });
    else unlinkSync(abs);
  } catch (err) {
    throw ioError('remove', abs, err);
  }
}

function failPrivilege(member: Buffer, what: string): never {
  throw new OverlaydiffError('E_IO', `${displayPath(member)}: not permitted to ${what} here`, { path: member });
}

function bad(member: Buffer, why: string): OverlaydiffError {
  return new OverlaydiffError('E_BAD_ARCHIVE', `${displayPath(member)}: ${why}`, { path: member });
}
