// With index=on, copying up one name of a lower hardlink set changes every name: finds the others.
import { findXattr, type Dialect } from '../classify/namespace.js';
import { isOpaqueDir } from '../classify/opaque.js';
import { OverlaydiffError, displayPath, ioError } from '../errors.js';
import { joinPath, listSorted, lstatEntry } from '../fsio/tree.js';
import { readXattrs } from '../fsio/xattr.js';
import type { FsEntry } from '../types.js';
import type { MergedLowers } from './merged-lowers.js';

/**
 * Collects, for upper files copied up under index=on (`<ns>.overlay.nlink` set), the other names
 * of their lower hardlink set that are still visible in the merged view: the kernel made them the
 * same inode as the copied-up file, so the layer must link them to it. Finding them scans the
 * lowerdir holding the set once (cost grows with that lowerdir, paid only when such a copy-up exists).
 */
export class IndexAliases {
  readonly #lowers: MergedLowers;
  readonly #upper: Buffer;
  readonly #dialect: Dialect;
  /** Per scanned lowerdir: "dev:ino" → relative paths of its multiply-linked files. */
  readonly #scans = new Map<string, Map<string, Buffer[]>>();
  readonly #aliases: FsEntry[] = [];

  constructor(lowers: MergedLowers, upper: Buffer, dialect: Dialect) {
    this.#lowers = lowers;
    this.#upper = upper;
    this.#dialect = dialect;
  }

  /** True when the kernel keeps one more link to `entry` in its workdir index. */
  isIndexed(entry: FsEntry): boolean {
    return entry.stat.type !== 'dir' && findXattr(entry.xattrs, this.#dialect.xattr('nlink')) !== undefined;
  }

  /** Records the visible lower aliases of an indexed upper `entry` whose lower origin is at `lowerPath`. */
  note(entry: FsEntry, lowerPath: Buffer): void {
    const origin = this.#lowers.lookup(lowerPath);
    if (origin === undefined) {
      throw new OverlaydiffError(
        'E_UNSUPPORTED_OVERLAY',
        `${displayPath(entry.absPath)}: copied up with index=on (overlay.nlink), but no lower file is visible at ` +
          `${displayPath(lowerPath)}, so the other names of its hardlink set cannot be found`,
        { path: entry.absPath },
      );
    }
    if (origin.stat.nlink < 2n) return;
    const root = this.#lowers.rootOf(origin.absPath);
    if (root === undefined) throw new Error(`lower entry outside every lowerdir: ${displayPath(origin.absPath)}`);
    const key = `${origin.stat.dev}:${origin.stat.ino}`;
    for (const path of this.#scan(root).get(key) ?? []) {
      if (path.equals(lowerPath)) continue;
      const visible = this.#lowers.lookup(path);
      if (visible === undefined || visible.stat.ino !== origin.stat.ino || visible.stat.dev !== origin.stat.dev) continue;
      if (this.#upperShadows(path)) continue;
      // The alias shares the copied-up inode: the layer links it to the upper name.
      this.#aliases.push({ path, absPath: visible.absPath, stat: entry.stat, xattrs: entry.xattrs });
    }
  }

  /** The aliases found, sorted by path, each with the stat of the upper file it is a link to. */
  aliases(): FsEntry[] {
    return this.#aliases.sort((a, b) => Buffer.compare(a.path, b.path));
  }

  #scan(root: Buffer): Map<string, Buffer[]> {
    const cacheKey = root.toString('latin1');
    let found = this.#scans.get(cacheKey);
    if (found !== undefined) return found;
    found = new Map();
    const pending: Buffer[] = [Buffer.alloc(0)];
    for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
      for (const name of listSorted(joinPath(root, dir))) {
        const path = joinPath(dir, name);
        const stat = lstatEntry(joinPath(root, path));
        if (stat === undefined) continue;
        if (stat.type === 'dir') pending.push(path);
        else if (stat.nlink > 1n) {
          const key = `${stat.dev}:${stat.ino}`;
          found.set(key, [...(found.get(key) ?? []), path]);
        }
      }
    }
    this.#scans.set(cacheKey, found);
    return found;
  }

  // Whether the upper hides the lower entry at `path`: an entry there, or a non-dir, opaque or
  // renamed dir on the way.
  #upperShadows(path: Buffer): boolean {
    let prefix = 0;
    for (;;) {
      const slash = path.indexOf(0x2f, prefix);
      const end = slash < 0 ? path.length : slash;
      const absPath = joinPath(this.#upper, path.subarray(0, end));
      const stat = this.#lstat(absPath);
      if (stat === undefined) return false;
      if (slash < 0 || stat.type !== 'dir') return true;
      const xattrs = readXattrs(absPath);
      if (isOpaqueDir(xattrs, this.#dialect) || findXattr(xattrs, this.#dialect.xattr('redirect')) !== undefined) return true;
      prefix = slash + 1;
    }
  }

  #lstat(absPath: Buffer): ReturnType<typeof lstatEntry> {
    try {
      return lstatEntry(absPath);
    } catch (err) {
      throw ioError('stat upper entry', absPath, err);
    }
  }
}

/** Squashed uppers and index=on copy-ups do not mix yet. */
export function indexWithSquash(entry: FsEntry): OverlaydiffError {
  return new OverlaydiffError(
    'E_UNSUPPORTED_OVERLAY',
    `${displayPath(entry.absPath)}: copied up with index=on (overlay.nlink) inside squashed uppers; not supported yet`,
    { path: entry.absPath },
  );
}
