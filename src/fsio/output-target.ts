// Decides how an output path is written: replaced atomically (regular files, new paths) or written
// through (character devices, FIFOs, sockets, /dev/fd/N), after following symlinks to their target.
import { lstatSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { basename, dirname, resolve, sep } from 'node:path';
import { OverlaydiffError, errnoCode, ioError } from '../errors.js';

/** How an output path is written. */
export type OutputTarget =
  /** A regular file or a new name: a temp file in `path`'s directory, fsynced and renamed over it. */
  | { readonly kind: 'replace'; readonly path: string }
  /** Something that is not a file to replace: opened and written as it is, never renamed over. */
  | { readonly kind: 'through'; readonly path: string; readonly what: 'character device' | 'fifo' | 'file descriptor' }
  /** A unix socket: connected to and written. */
  | { readonly kind: 'socket'; readonly path: string };

// The kernel's bound on symlinks followed in one lookup (MAXSYMLINKS).
const MAX_SYMLINKS = 40;

// /dev/fd/N, /dev/stdout, /proc/self/fd/N: "magic links" to an open file; their readlink text is not
// a path to rename over (pipe:[123], or a file the shell opened), so the open file is written.
const FD_DIR = /^\/proc\/(?:self|thread-self|\d+)(?:\/task\/\d+)?\/fd$/;

/**
 * Where and how `dest` is written. A symlink is followed (up to the kernel's 40 links) and its
 * target written, never the link replaced; a dangling one creates its target. Regular files and
 * new names are replaced atomically; character devices (/dev/null), FIFOs, sockets and open file
 * descriptors are written through. Directories and block devices are refused (E_USAGE).
 */
export function resolveOutputTarget(dest: string): OutputTarget {
  let path = resolve(dest);
  for (let links = 0; ; links++) {
    if (isFdDirectory(dirname(path))) return { kind: 'through', path, what: 'file descriptor' };
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return { kind: 'replace', path };
      throw ioError('use output path', path, err);
    }
    if (st.isSymbolicLink()) {
      if (links === MAX_SYMLINKS) throw new OverlaydiffError('E_USAGE', `${dest}: output path has too many levels of symbolic links`, { path: dest });
      path = resolve(dirname(path), readlinkSync(path));
      continue;
    }
    if (st.isFile()) return { kind: 'replace', path };
    if (st.isCharacterDevice()) return { kind: 'through', path, what: 'character device' };
    if (st.isFIFO()) return { kind: 'through', path, what: 'fifo' };
    if (st.isSocket()) return { kind: 'socket', path };
    const what = st.isDirectory() ? 'a directory' : st.isBlockDevice() ? 'a block device (refusing to overwrite a disk)' : 'not a file';
    throw new OverlaydiffError('E_USAGE', `${path}: output is ${what}`, { path });
  }
}

function isFdDirectory(dir: string): boolean {
  try {
    return FD_DIR.test(realpathSync.native(dir));
  } catch {
    // A parent that cannot be resolved is not /proc's fd directory; the write reports the real error.
    return false;
  }
}

/** A directory tree an output must stay out of, and its role for the message (e.g. "upperdir"). */
export interface GuardedTree {
  readonly role: string;
  readonly dir: Buffer | string;
}

/**
 * Throws E_USAGE when `path` (an output file about to be created or replaced, or a directory about
 * to be written) lies inside one of `trees`: the output would end up in the layer being written.
 * Compared after resolving symlinks of the existing part of the path.
 */
export function assertOutsideTrees(path: string, trees: readonly GuardedTree[], what = 'output'): void {
  const real = realExistingPrefix(resolve(path));
  for (const { role, dir } of trees) {
    const tree = realExistingPrefix(resolve(dir.toString()));
    if (real === tree || real.startsWith(tree.endsWith(sep) ? tree : tree + sep)) {
      throw new OverlaydiffError(
        'E_USAGE',
        `${path}: ${what} is inside the ${role} ${dir.toString()}, which is being diffed: the write would change the snapshot it is taken from. Write it elsewhere`,
        {
          path,
        },
      );
    }
  }
}

// realpath of the longest existing ancestor, with the missing rest appended.
function realExistingPrefix(path: string): string {
  try {
    return realpathSync.native(path);
  } catch (err) {
    const parent = dirname(path);
    if (parent === path || errnoCode(err) !== 'ENOENT') return path;
    return resolve(realExistingPrefix(parent), basename(path));
  }
}
