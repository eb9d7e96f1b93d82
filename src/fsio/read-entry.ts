// Reads one tree entry: lstat, symlink target and xattrs, never following a symlink.
import { OverlaydiffError, displayPath, errnoCode, ioError } from '../errors.js';
import { lstatEntry, readLinkBytes } from './tree.js';
import { readXattrs } from './xattr.js';
import type { FsEntry } from '../types.js';

/**
 * The FsEntry at `absPath`, named `path` in its tree. An entry that vanished is E_FILE_CHANGED:
 * the tree must not change while it is diffed, and a skipped entry would be a wrong layer.
 */
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
    `${displayPath(absPath)}: vanished during the walk; the upperdir must not change while it is diffed (unmount the overlay or diff a snapshot)`,
    { path: absPath, cause },
  );
}
