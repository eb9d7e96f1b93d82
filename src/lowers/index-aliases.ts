// With index=on, lists the merged names the kernel serves from the index although the upper has no entry there.
import { findXattr, type Dialect } from '../classify/namespace.js';
import { isOpaqueDir } from '../classify/opaque.js';
import { ioError } from '../errors.js';
import { joinPath, listSorted, lstatEntry } from '../fsio/tree.js';
import { readXattrs } from '../fsio/xattr.js';
import type { FsEntry, FsStat, Xattr } from '../types.js';
import type { MergedLowers } from './merged-lowers.js';
import type { WorkdirIndex } from './workdir-index.js';

/**
 * The entry the merged view shows at `path`, whose topmost lower entry `lower` (with its data
 * source resolved, for a metacopy lower) the index holds a copy of: the copy's metadata, and its
 * data — the lower's data when the copy is itself metacopy (copied up by chmod, chown, setxattr).
 */
export function indexedEntry(path: Buffer, lower: FsEntry, copy: FsEntry, dialect: Dialect): FsEntry {
  const metacopy = findXattr(copy.xattrs, dialect.xattr('metacopy')) !== undefined;
  const data = metacopy ? (lower.data ?? { absPath: lower.absPath, dev: lower.stat.dev, ino: lower.stat.ino }) : undefined;
  const linkTarget = copy.linkTarget === undefined ? {} : { linkTarget: copy.linkTarget };
  return { path, absPath: copy.absPath, stat: copy.stat, xattrs: copy.xattrs, ...linkTarget, ...(data === undefined ? {} : { data }) };
}

/**
 * Every name of the lowers' merged view whose topmost lower entry the index holds a copy of and
 * that the upperdir leaves visible (no entry there, no whiteout, opaque, renamed or non-directory
 * ancestor), as the copy under that name, in canonical order (depth first, siblings by raw
 * bytes). Walks the whole merged lower tree, so it is called only when the index has entries;
 * handles are computed for multiply-linked files only.
 */
export function indexAliases(index: WorkdirIndex, lowers: MergedLowers, upper: Buffer, dialect: Dialect): FsEntry[] {
  const aliases: FsEntry[] = [];
  const visit = (dir: Buffer, upperDir: boolean): void => {
    const names = lowers
      .dirLayers(dir)
      .flatMap((layer) => list(layer.absPath))
      .sort(Buffer.compare);
    for (const [i, name] of names.entries()) {
      if (i > 0 && name.equals(names[i - 1]!)) continue;
      const path = joinPath(dir, name);
      const hit = lowers.lookup(path);
      if (hit === undefined) continue;
      const upperStat = upperDir ? lstat(joinPath(upper, path)) : undefined;
      if (hit.stat.type === 'dir') {
        if (upperStat === undefined) visit(path, false);
        else if (upperStat.type === 'dir' && !hidesLowers(joinPath(upper, path), dialect)) visit(path, true);
        continue;
      }
      if (upperStat !== undefined || index.copyOf(hit.absPath, hit.stat) === undefined) continue;
      const lower = lowers.read(path);
      const copy = lower === undefined ? undefined : index.copyOf(lower.absPath, lower.stat);
      if (lower !== undefined && copy !== undefined) aliases.push(indexedEntry(path, lower, copy, dialect));
    }
  };
  visit(Buffer.alloc(0), true);
  return aliases;
}

// An upper dir that is opaque or renamed shows nothing of the lowers at its own path.
function hidesLowers(absPath: Buffer, dialect: Dialect): boolean {
  let xattrs: Xattr[];
  try {
    xattrs = readXattrs(absPath);
  } catch (err) {
    throw ioError('read xattrs of upper entry', absPath, err);
  }
  return isOpaqueDir(xattrs, dialect) || findXattr(xattrs, dialect.xattr('redirect')) !== undefined;
}

function list(absPath: Buffer): Buffer[] {
  try {
    return listSorted(absPath);
  } catch (err) {
    throw ioError('read lower directory', absPath, err);
  }
}

function lstat(absPath: Buffer): FsStat | undefined {
  try {
    return lstatEntry(absPath);
  } catch (err) {
    throw ioError('stat upper entry', absPath, err);
  }
}
