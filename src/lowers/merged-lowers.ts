// Answers "what do the merged lowers show at this path?" the way overlayfs resolves a lookup.
import { findXattr, type Dialect } from '../classify/namespace.js';
import { hasXattrWhiteouts, isOpaqueDir } from '../classify/opaque.js';
import { isWhiteout } from '../classify/whiteout.js';
import { OverlaydiffError, displayPath, ioError } from '../errors.js';
import { pathComponents } from '../fsio/path-components.js';
import { joinPath, lstatEntry } from '../fsio/tree.js';
import { getXattr, readXattrs } from '../fsio/xattr.js';
import type { FsEntry, FsStat } from '../types.js';
import { readEntry } from '../walk/read-entry.js';

/** A visible lower entry: its stat and where it lives. */
export interface LowerHit {
  readonly stat: FsStat;
  readonly absPath: Buffer;
}

/** One lower directory contributing to a merged directory. */
export interface LayerDir {
  readonly absPath: Buffer;
  /** Marked `opaque=x`: its zero-size files may be xattr whiteouts. */
  readonly xattrWhiteouts: boolean;
}

/** A resolved merged directory on the path currently being walked. */
interface ResolvedDir {
  readonly name: Buffer;
  /** Contributing lower dirs, topmost first; empty when the path is not a visible directory. */
  readonly layers: readonly LayerDir[];
}

/**
 * The merged view of an ordered lower stack (topmost first), queried by relative path.
 * Resolution follows overlayfs: the topmost lower with the name decides; a whiteout hides every
 * lower below; a directory merges with directories below it until an opaque one or a non-directory.
 * Only the chain of directories on the last looked-up path is cached, so memory stays bounded by
 * the depth of the tree while a depth-first walk still hits the cache for every sibling.
 */
export class MergedLowers {
  readonly #roots: readonly LayerDir[];
  readonly #dialect: Dialect;
  #chain: ResolvedDir[] = [];

  constructor(lowers: readonly Buffer[], dialect: Dialect) {
    this.#dialect = dialect;
    this.#roots = lowers.map((absPath) => ({ absPath, xattrWhiteouts: false }));
  }

  /** Where the visible lower entry at `path` is (lstat semantics: a dangling symlink is visible), or undefined. */
  lookup(path: Buffer): LowerHit | undefined {
    const components = pathComponents(path);
    const name = components.pop();
    if (name === undefined) return undefined;
    const layers = this.#resolveDir(components);
    for (const layer of layers) {
      const absPath = joinPath(layer.absPath, name);
      const stat = this.#lstat(absPath);
      if (stat === undefined) continue;
      if (this.#isWhiteoutAt(absPath, stat, layer)) return undefined;
      return { stat, absPath };
    }
    return undefined;
  }

  /** The lowerdir root that holds `absPath`, or undefined. */
  rootOf(absPath: Buffer): Buffer | undefined {
    for (const root of this.#roots) {
      const p = root.absPath;
      if (absPath.length > p.length && absPath[p.length] === 0x2f && absPath.subarray(0, p.length).equals(p)) return p;
    }
    return undefined;
  }

  /** The visible lower entry at `path`, read in full (xattrs, symlink target), or undefined. */
  read(path: Buffer): FsEntry | undefined {
    const hit = this.lookup(path);
    return hit === undefined ? undefined : readEntry(path, hit.absPath);
  }

  /** The lower dirs (topmost first) that merge into the visible directory at `path`; empty when there is none. */
  dirLayers(path: Buffer): readonly LayerDir[] {
    return this.#resolveDir(pathComponents(path));
  }

  // The lower dirs that merge into the directory at `components`, reusing the cached chain prefix.
  #resolveDir(components: readonly Buffer[]): readonly LayerDir[] {
    let depth = 0;
    while (depth < components.length && depth < this.#chain.length && this.#chain[depth]!.name.equals(components[depth]!)) {
      depth++;
    }
    this.#chain.length = depth;
    let layers = depth === 0 ? this.#roots : this.#chain[depth - 1]!.layers;
    for (; depth < components.length; depth++) {
      const name = components[depth]!;
      layers = layers.length === 0 ? [] : this.#mergeDir(layers, name);
      this.#chain.push({ name, layers });
    }
    return layers;
  }

  // Lower dirs named `name` under `parents`, stopping at a whiteout, a non-dir or an opaque dir.
  #mergeDir(parents: readonly LayerDir[], name: Buffer): LayerDir[] {
    const merged: LayerDir[] = [];
    for (const parent of parents) {
      const absPath = joinPath(parent.absPath, name);
      const stat = this.#lstat(absPath);
      if (stat === undefined) continue;
      if (stat.type !== 'dir' || this.#isWhiteoutAt(absPath, stat, parent)) break;
      const xattrs = this.#readXattrs(absPath);
      if (findXattr(xattrs, this.#dialect.xattr('redirect')) !== undefined) throw redirectInLowers(absPath);
      merged.push({ absPath, xattrWhiteouts: hasXattrWhiteouts(xattrs, this.#dialect) });
      if (isOpaqueDir(xattrs, this.#dialect)) break;
    }
    return merged;
  }

  #isWhiteoutAt(absPath: Buffer, stat: FsStat, parent: LayerDir): boolean {
    // Read the whiteout xattr only for the candidates the kernel would check.
    const xattrs =
      parent.xattrWhiteouts && stat.type === 'file' && stat.size === 0n ? this.#whiteoutXattr(absPath) : [];
    return isWhiteout(stat, xattrs, this.#dialect, parent.xattrWhiteouts);
  }

  #whiteoutXattr(absPath: Buffer): { name: Buffer; value: Buffer }[] {
    const name = this.#dialect.xattr('whiteout');
    try {
      const value = getXattr(absPath, name);
      return value === undefined ? [] : [{ name, value }];
    } catch (err) {
      throw ioError('read xattrs of lower entry', absPath, err);
    }
  }

  #lstat(absPath: Buffer): FsStat | undefined {
    try {
      return lstatEntry(absPath);
    } catch (err) {
      throw ioError('stat lower entry', absPath, err);
    }
  }

  #readXattrs(absPath: Buffer): ReturnType<typeof readXattrs> {
    try {
      return readXattrs(absPath);
    } catch (err) {
      throw ioError('read xattrs of lower entry', absPath, err);
    }
  }
}

// A lowerdir that was an upper with redirect_dir=on: its renamed dirs' content is elsewhere.
function redirectInLowers(absPath: Buffer): OverlaydiffError {
  return new OverlaydiffError(
    'E_UNSUPPORTED_OVERLAY',
    `${displayPath(absPath)}: a lowerdir holds a directory renamed with redirect_dir=on (overlay.redirect); ` +
      `lowers with redirects are not supported yet`,
    { path: absPath },
  );
}
