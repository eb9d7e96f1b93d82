// Walks the merged view of a stack of overlay layers (topmost first), yielding each visible name once.
import { isOpaqueDir, hasXattrWhiteouts } from '../classify/opaque.js';
import { findXattr, type Dialect } from '../classify/namespace.js';
import { isWhiteout } from '../classify/whiteout.js';
import { OverlaydiffError, displayPath, ioError } from '../errors.js';
import { redirectTarget } from '../lowers/redirect.js';
import { joinPath, listSorted, lstatEntry } from '../fsio/tree.js';
import type { FsEntry, LayerDir, LowerLayerDir } from '../types.js';
import type { ExcludeFilter } from './exclude.js';
import { readEntry } from '../fsio/read-entry.js';

export interface StackEntry {
  /** The entry of the topmost layer that has this name (a whiteout included). */
  readonly entry: FsEntry;
  /** Where this path's origin is in the lowers: the path itself, unless an ancestor or the entry was renamed (redirect_dir). */
  readonly lowerPath: Buffer;
  /** The entry comes from the lowers (content of a renamed or recreated directory), not from an upper. */
  readonly fromLowers: boolean;
  /** Directories only: the layer must recreate this dir (whiteout, then the dir with its full content). */
  readonly recreated: boolean;
  /** The directory holding `entry` in its layer is marked `opaque=x`. */
  readonly parentXattrWhiteouts: boolean;
  /** Index of the layer `entry` comes from (0 = topmost). */
  readonly layer: number;
  /**
   * Directories only: the merged directory hides everything below the stack at its path: one of
   * its layer dirs is opaque, or the merge stopped at a whiteout or non-directory in a lower layer.
   */
  readonly hidesBelow: boolean;
}

/**
 * Resolves a renamed directory's origin: the lower dirs that merge at `lowerPath` in the lowers
 * below the stack. Without it, a redirect is refused.
 */
export type OriginResolver = (lowerPath: Buffer) => readonly LowerLayerDir[];

interface OpenDir {
  readonly path: Buffer;
  readonly lowerPath: Buffer;
  readonly layers: readonly (LayerDir & { readonly index: number })[];
  readonly names: Buffer[];
  next: number;
}

/** How `walkStack` reads the stack. */
export interface WalkOptions {
  readonly dialect: Dialect;
  /** Resolves renamed directories' origins; without it a redirect is refused. */
  readonly origins?: OriginResolver;
  /** Paths to leave out, with their subtrees: neither yielded nor descended into. */
  readonly exclude?: ExcludeFilter;
  /**
   * For an upper dir that merges with the lowers: the lower dirs at `lowerPath` when the layer
   * must recreate it (something a dir entry cannot undo, like a removed xattr), so its whole
   * content is walked; undefined otherwise.
   */
  readonly recreate?: (entry: FsEntry, lowerPath: Buffer) => readonly LowerLayerDir[] | undefined;
  readonly signal?: AbortSignal;
}

/**
 * Yields the merged view of `roots` depth first, siblings sorted by raw name bytes, as overlayfs
 * resolves it: the topmost layer with a name decides (whiteouts are yielded, and nothing below
 * them), a directory merges with the directories below it until an opaque one, a whiteout or a
 * non-directory. With one root this is a plain walk of that tree. Excluded paths are skipped
 * with their subtrees. Memory holds the sorted names of the open directories only.
 */
export async function* walkStack(roots: readonly Buffer[], options: WalkOptions): AsyncGenerator<StackEntry> {
  const { dialect, origins, exclude, recreate, signal } = options;
  const rootLayers = roots.map((absPath, index) => ({ absPath, index, xattrWhiteouts: false }));
  const stack: OpenDir[] = [openDir(Buffer.alloc(0), Buffer.alloc(0), rootLayers)];
  const fromLowers = (index: number): boolean => index >= roots.length;
  while (stack.length > 0) {
    const dir = stack[stack.length - 1]!;
    const name = dir.names[dir.next++];
    if (name === undefined) {
      stack.pop();
      continue;
    }
    signal?.throwIfAborted();
    const path = joinPath(dir.path, name);
    const { layer, entry } = topmost(dir, name);
    if (exclude?.(path, entry.stat.type === 'dir') === true) continue;
    const base = { entry, parentXattrWhiteouts: layer.xattrWhiteouts, layer: layer.index, fromLowers: fromLowers(layer.index), recreated: false };
    let lowerPath = joinPath(dir.lowerPath, name);
    const whiteout = isWhiteout(entry.stat, entry.xattrs, dialect, layer.xattrWhiteouts);
    if (whiteout || entry.stat.type !== 'dir') {
      yield { ...base, lowerPath, hidesBelow: false };
      continue;
    }
    const redirect = findXattr(entry.xattrs, dialect.xattr('redirect'));
    let merged: { layers: OpenDir['layers']; hidesBelow: boolean };
    let recreated = false;
    const lowerDirs = (at: Buffer): OpenDir['layers'] => {
      if (origins === undefined) throw unsupportedRedirect(entry, roots.length > 1);
      return origins(at).map((l) => ({ ...l, index: roots.length + l.layer }));
    };
    if (fromLowers(layer.index)) {
      // Inside a renamed or recreated dir: the lowers merge it (following their own redirects).
      merged = { layers: lowerDirs(lowerPath), hidesBelow: true };
    } else if (redirect === undefined) {
      merged = mergeDir(dir, name, entry, layer.index, dialect, roots.length, () => lowerDirs(lowerPath));
      const lowerLayers = merged.hidesBelow || fromLowers(layer.index) ? undefined : recreate?.(entry, lowerPath);
      if (lowerLayers !== undefined) {
        recreated = true;
        merged = { layers: [...merged.layers, ...lowerLayers.map((l) => ({ ...l, index: roots.length + l.layer }))], hidesBelow: true };
      }
    } else {
      // A renamed lower dir: its content is its origin's, wherever the lowers have it; below
      // the stack its own path shows nothing of it, so the merged dir hides whatever is there.
      if (roots.length > 1) throw unsupportedRedirect(entry, true);
      lowerPath = redirectTarget(lowerPath, redirect);
      const own = { absPath: entry.absPath, index: layer.index, xattrWhiteouts: hasXattrWhiteouts(entry.xattrs, dialect) };
      merged = { layers: [own, ...lowerDirs(lowerPath)], hidesBelow: true };
    }
    yield { ...base, lowerPath, hidesBelow: merged.hidesBelow, recreated };
    stack.push(openDir(path, lowerPath, merged.layers));
  }
}

function openDir(path: Buffer, lowerPath: Buffer, layers: OpenDir['layers']): OpenDir {
  if (layers.length === 1) return { path, lowerPath, layers, names: list(layers[0]!.absPath), next: 0 };
  const all = layers.flatMap((l) => list(l.absPath)).sort(Buffer.compare);
  const names = all.filter((n, i) => i === 0 || !n.equals(all[i - 1]!));
  return { path, lowerPath, layers, names, next: 0 };
}

function unsupportedRedirect(entry: FsEntry, squashing: boolean): OverlaydiffError {
  const why = squashing ? 'a renamed directory inside squashed uppers is not supported yet' : 'the walk was given no lowers to resolve it from';
  return new OverlaydiffError(
    'E_UNSUPPORTED_OVERLAY',
    `${displayPath(entry.absPath)}: overlay.redirect is set (a directory renamed with redirect_dir=on): ${why}`,
    { path: entry.absPath },
  );
}

function list(absPath: Buffer): Buffer[] {
  try {
    return listSorted(absPath);
  } catch (err) {
    throw ioError('read directory', absPath, err);
  }
}

function topmost(dir: OpenDir, name: Buffer): { layer: OpenDir['layers'][number]; entry: FsEntry } {
  const path = joinPath(dir.path, name);
  for (const layer of dir.layers) {
    const absPath = joinPath(layer.absPath, name);
    // One layer is read directly: readEntry reports a vanished entry instead of skipping it.
    if (dir.layers.length > 1 && stat(absPath) === undefined) continue;
    return { layer, entry: readEntry(path, absPath) };
  }
  // Some layer listed the name, none has it now.
  return { layer: dir.layers[0]!, entry: readEntry(path, joinPath(dir.layers[0]!.absPath, name)) };
}

// The layer dirs under `name`, from the upper one holding `entry` down, stopping where overlayfs
// stops; from the first lower layer (index `firstLower`) on, the lowers' own merge of the dir
// (`lowerDirs`, which follows their redirects) takes over.
function mergeDir(
  dir: OpenDir,
  name: Buffer,
  entry: FsEntry,
  from: number,
  dialect: Dialect,
  firstLower: number,
  lowerDirs: () => OpenDir['layers'],
): { layers: OpenDir['layers']; hidesBelow: boolean } {
  const layers = [{ absPath: entry.absPath, index: from, xattrWhiteouts: hasXattrWhiteouts(entry.xattrs, dialect) }];
  if (isOpaqueDir(entry.xattrs, dialect)) return { layers, hidesBelow: true };
  for (const parent of dir.layers) {
    if (parent.index <= from) continue;
    if (parent.index >= firstLower) return { layers: [...layers, ...lowerDirs()], hidesBelow: false };
    const absPath = joinPath(parent.absPath, name);
    const st = stat(absPath);
    if (st === undefined) continue;
    if (st.type !== 'dir') return { layers, hidesBelow: true }; // a whiteout or a file ends the merge
    const below = readEntry(joinPath(dir.path, name), absPath);
    layers.push({ absPath, index: parent.index, xattrWhiteouts: hasXattrWhiteouts(below.xattrs, dialect) });
    if (isOpaqueDir(below.xattrs, dialect)) return { layers, hidesBelow: true };
  }
  return { layers, hidesBelow: false };
}

function stat(absPath: Buffer): ReturnType<typeof lstatEntry> {
  try {
    return lstatEntry(absPath);
  } catch (err) {
    throw ioError('stat', absPath, err);
  }
}
