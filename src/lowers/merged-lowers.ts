// Answers "what do the merged lowers show at this path?" the way overlayfs resolves a lookup.
import { findXattr, type Dialect } from '../classify/namespace.js';
import { hasXattrWhiteouts, isOpaqueDir } from '../classify/opaque.js';
import { isWhiteout } from '../classify/whiteout.js';
import { OverlaydiffError, displayPath, ioError } from '../errors.js';
import { pathComponents } from '../fsio/path-components.js';
import { joinPath, lstatEntry } from '../fsio/tree.js';
import { getXattr, readXattrs } from '../fsio/xattr.js';
import type { DataSource, FsEntry, FsStat, LowerLayerDir } from '../types.js';
import { readEntry } from '../fsio/read-entry.js';
import { redirectTarget } from './redirect.js';

/** A visible lower entry: its stat, where it lives, and which lowerdir holds it. */
export interface LowerHit {
  readonly stat: FsStat;
  readonly absPath: Buffer;
  /** Index of the lowerdir holding it (0 = topmost). */
  readonly layer: number;
}

/** A resolved merged directory on the path currently being walked. */
interface ResolvedDir {
  readonly name: Buffer;
  /** Contributing lower dirs, topmost first; empty when the path is not a visible directory. */
  readonly layers: readonly LowerLayerDir[];
}

/**
 * The merged view of an ordered lower stack (topmost first), queried by relative path.
 * Resolution follows overlayfs (fs/overlayfs/namei.c ovl_lookup): the topmost lower with the name
 * decides; a whiteout hides every lower below; a directory merges with directories below it until
 * an opaque one or a non-directory; a directory with `<ns>.overlay.redirect` (a lowerdir that was
 * the upperdir of a redirect_dir mount) merges, in the lowers below it, with its origin instead of
 * its own name. A metacopy file's data is found below it the same way. Only the chain of
 * directories on the last looked-up path is cached, so memory stays bounded by the depth of the
 * tree while a depth-first walk still hits the cache for every sibling.
 */
export class MergedLowers {
  readonly #roots: readonly LowerLayerDir[];
  readonly #dialect: Dialect;
  #chain: ResolvedDir[] = [];

  constructor(lowers: readonly Buffer[], dialect: Dialect) {
    this.#dialect = dialect;
    this.#roots = lowers.map((absPath, layer) => ({ absPath, xattrWhiteouts: false, layer }));
  }

  /** Where the visible lower entry at `path` is (lstat semantics: a dangling symlink is visible), or undefined. */
  lookup(path: Buffer): LowerHit | undefined {
    const components = pathComponents(path);
    const name = components.pop();
    if (name === undefined) return undefined;
    const hit = this.#firstIn(this.#resolveDir(components), name);
    return hit === 'whiteout' ? undefined : hit;
  }

  /**
   * The visible lower entry at `path`, read in full (xattrs, symlink target), or undefined. A
   * metacopy file (a lowerdir that was the upperdir of a metacopy mount) comes with `data`: the
   * file below it holding its data.
   */
  read(path: Buffer): FsEntry | undefined {
    const hit = this.lookup(path);
    if (hit === undefined) return undefined;
    const entry = readEntry(path, hit.absPath);
    if (entry.stat.type !== 'file' || findXattr(entry.xattrs, this.#dialect.xattr('metacopy')) === undefined) return entry;
    return { ...entry, data: this.metacopyData(entry, path, findXattr(entry.xattrs, this.#dialect.xattr('redirect')), hit.layer) };
  }

  /** The lower dirs (topmost first) that merge into the visible directory at `path`; empty when there is none. */
  dirLayers(path: Buffer): readonly LowerLayerDir[] {
    return this.#resolveDir(pathComponents(path));
  }

  /**
   * Where the data of metacopy file `entry` lives: below layer `above` (−1 for an upper file), at
   * `lowerPath` or at its `redirect`, following further metacopy copies down to a regular file
   * with data, as the kernel does for a chain of metacopy layers. Metadata is not taken from it
   * (the topmost copy has it). Throws E_UNSUPPORTED_OVERLAY when the chain ends without data.
   */
  metacopyData(entry: FsEntry, lowerPath: Buffer, redirect: Buffer | undefined, above: number): DataSource {
    let path = redirect === undefined ? lowerPath : redirectTarget(lowerPath, redirect);
    let dirs = this.#parentDirs(path, redirect, above);
    for (;;) {
      const name = pathComponents(path).pop();
      const hit = name === undefined ? undefined : this.#firstIn(dirs, name);
      const fail = (why: string): never => {
        throw new OverlaydiffError(
          'E_UNSUPPORTED_OVERLAY',
          `${displayPath(entry.absPath)}: metacopy file whose data origin ${displayPath(path)} in the lowers ${why}; ` +
            'the kernel cannot read its data either (EIO), so no layer can hold it',
          { path: entry.absPath },
        );
      };
      if (hit === undefined || hit === 'whiteout') return fail('is not visible');
      if (hit.stat.type !== 'file') return fail('is not a regular file');
      if (hit.stat.size !== entry.stat.size) return fail(`has ${hit.stat.size} bytes, not ${entry.stat.size}`);
      if (this.#getXattr(hit.absPath, this.#dialect.xattr('metacopy')) === undefined) return { absPath: hit.absPath, dev: hit.stat.dev, ino: hit.stat.ino };
      const next = this.#getXattr(hit.absPath, this.#dialect.xattr('redirect'));
      if (next !== undefined) path = redirectTarget(path, next);
      dirs = next?.[0] === 0x2f ? this.#parentDirs(path, next, hit.layer) : dirs.filter((d) => d.layer > hit.layer);
    }
  }

  // The dirs holding `path`'s parent in the layers below `above`: from the root of each layer for
  // an absolute redirect (ovl_lookup switches to the root's stack), else the parent's merged stack.
  #parentDirs(path: Buffer, redirect: Buffer | undefined, above: number): readonly LowerLayerDir[] {
    const parent = pathComponents(path).slice(0, -1);
    if (redirect?.[0] === 0x2f) return this.#resolveFrom(parent, above + 1);
    return this.#resolveDir(parent).filter((d) => d.layer > above);
  }

  // The first entry named `name` in `dirs`: a hit, 'whiteout', or undefined when none has it.
  #firstIn(dirs: readonly LowerLayerDir[], name: Buffer): LowerHit | 'whiteout' | undefined {
    for (const dir of dirs) {
      const absPath = joinPath(dir.absPath, name);
      const stat = this.#lstat(absPath);
      if (stat === undefined) continue;
      if (this.#isWhiteoutAt(absPath, stat, dir)) return 'whiteout';
      return { stat, absPath, layer: dir.layer };
    }
    return undefined;
  }

  // The lower dirs that merge into the directory at `components`, reusing the cached chain prefix.
  #resolveDir(components: readonly Buffer[]): readonly LowerLayerDir[] {
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

  // Like #resolveDir, in the lowerdirs from `first` down only (uncached: absolute redirects are rare).
  #resolveFrom(components: readonly Buffer[], first: number): readonly LowerLayerDir[] {
    if (first === 0) return this.#resolveDir(components);
    let layers: readonly LowerLayerDir[] = this.#roots.filter((r) => r.layer >= first);
    for (const name of components) layers = layers.length === 0 ? [] : this.#mergeDir(layers, name);
    return layers;
  }

  // Lower dirs named `name` under `parents`, stopping at a whiteout, a non-dir or an opaque dir;
  // below a renamed dir, its origin's dirs take the place of its name.
  #mergeDir(parents: readonly LowerLayerDir[], name: Buffer): LowerLayerDir[] {
    const merged: LowerLayerDir[] = [];
    for (const [i, parent] of parents.entries()) {
      const absPath = joinPath(parent.absPath, name);
      const stat = this.#lstat(absPath);
      if (stat === undefined) continue;
      if (stat.type !== 'dir' || this.#isWhiteoutAt(absPath, stat, parent)) break;
      const xattrs = this.#readXattrs(absPath);
      merged.push({ absPath, xattrWhiteouts: hasXattrWhiteouts(xattrs, this.#dialect), layer: parent.layer });
      if (isOpaqueDir(xattrs, this.#dialect)) break;
      const redirect = findXattr(xattrs, this.#dialect.xattr('redirect'));
      if (redirect === undefined) continue;
      // An absolute redirect restarts at the root of the layers below; a bare name is a sibling.
      if (redirect[0] === 0x2f) return [...merged, ...this.#resolveFrom(pathComponents(redirect), parent.layer + 1)];
      return [...merged, ...this.#mergeDir(parents.slice(i + 1), redirect)];
    }
    return merged;
  }

  #isWhiteoutAt(absPath: Buffer, stat: FsStat, parent: LowerLayerDir): boolean {
    // Read the whiteout xattr only for the candidates the kernel would check.
    const name = this.#dialect.xattr('whiteout');
    const value = parent.xattrWhiteouts && stat.type === 'file' && stat.size === 0n ? this.#getXattr(absPath, name) : undefined;
    return isWhiteout(stat, value === undefined ? [] : [{ name, value }], this.#dialect, parent.xattrWhiteouts);
  }

  #getXattr(absPath: Buffer, name: Buffer): Buffer | undefined {
    try {
      return getXattr(absPath, name);
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
