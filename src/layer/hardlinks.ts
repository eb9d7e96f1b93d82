// Groups names that share an inode so the first name carries the data and the others link to it.
import type { FsStat, LinksOutside } from '../types.js';

interface LinkSet {
  readonly firstPath: Buffer;
  readonly nlink: bigint;
  names: number;
  /** Links that may lie outside the walked tree: a number, or undefined when unknown. */
  outside: bigint | undefined;
}

/**
 * Tracks hardlink sets by (dev, ino) as bigints: overlay xino puts bits above 2^53 in inode numbers,
 * and layers on different filesystems can repeat an inode number. Whiteouts never enter here
 * (the kernel shares one whiteout inode between many names).
 */
export class HardlinkTable {
  readonly #sets = new Map<string, LinkSet>();

  /**
   * The first name seen for this inode, or undefined when `path` is the first (and is now
   * recorded). `linksOutside` says which links may lie outside the walked tree.
   */
  linkTargetFor(path: Buffer, stat: FsStat, linksOutside?: LinksOutside): Buffer | undefined {
    // An index=on alias shares the index's copy even when no other real link is left (nlink 1).
    if ((stat.nlink < 2n && linksOutside !== 'index') || stat.type === 'dir') return undefined;
    const key = `${stat.dev}:${stat.ino}`;
    const outside = linksOutside === undefined ? 0n : linksOutside === 'index' ? 1n : undefined;
    const set = this.#sets.get(key);
    if (set === undefined) {
      this.#sets.set(key, { firstPath: path, nlink: stat.nlink, names: 1, outside });
      return undefined;
    }
    set.names++;
    if (set.outside !== undefined) set.outside = outside === undefined ? undefined : set.outside > outside ? set.outside : outside;
    return set.firstPath;
  }

  /** Sets whose link count exceeds the names seen: some names live outside the walked tree. */
  *incompleteSets(): Generator<{ path: Buffer; nlink: bigint; names: number }> {
    for (const set of this.#sets.values()) {
      if (set.outside !== undefined && BigInt(set.names) + set.outside < set.nlink) yield { path: set.firstPath, nlink: set.nlink, names: set.names };
    }
  }
}
