// Resolves paths inside a target directory component by component, never leaving it (securejoin semantics).
import { lstatSync, mkdirSync, readlinkSync, realpathSync, type BigIntStats } from 'node:fs';
import { OverlaydiffError, displayPath, ioError } from '../errors.js';
import { componentsKey } from './member-path.js';

const SLASH = Buffer.from('/');
const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');
/** Symlinks followed while resolving one path, as Linux's MAXSYMLINKS (40) and securejoin (255) bound it. */
const MAX_SYMLINKS = 255;

/** A path inside the root: its real components (no symlink among them) and its absolute bytes. */
export interface RootedPath {
  readonly rel: readonly Buffer[];
  readonly abs: Buffer;
}

/**
 * The target directory of an apply. Every path handed out is built from components that were
 * lstat'ed as real directories under the root, so no write through it can leave the root:
 *
 * - a symlink met on the way is resolved WITHIN the root, as cyphar/filepath-securejoin and
 *   containerd's `fs.RootPath` do: an absolute target restarts at the root, '..' stops at the
 *   root, and the result is resolved again component by component (a symlink made earlier by
 *   the same archive is treated the same way);
 * - the last component is never followed: callers act on it with lstat/lchown/lutimes/lsetxattr,
 *   create it with O_EXCL|O_NOFOLLOW, or replace it.
 *
 * This defends against the archive, not against another process changing the tree during the
 * apply (the target must not be shared with an untrusted writer while it is applied).
 */
export class RootedTree {
  readonly root: Buffer;

  constructor(dir: string) {
    try {
      this.root = Buffer.from(realpathSync(dir));
    } catch (err) {
      throw ioError('open the target directory', dir, err);
    }
    const st = lstatSync(this.root, { bigint: true });
    if (!st.isDirectory()) throw new OverlaydiffError('E_NOT_DIRECTORY', `${dir}: the target is not a directory`, { path: dir });
  }

  absOf(rel: readonly Buffer[]): Buffer {
    return rel.length === 0 ? this.root : Buffer.concat([this.root, SLASH, ...join(rel)]);
  }

  /**
   * Resolves `parts` as a directory inside the root, following symlinks within the root.
   * A missing component is created (mode 0755) when `create`, else the result is undefined.
   * A component that is neither a directory nor a symlink is an error (E_NOT_DIRECTORY).
   */
  resolveDir(parts: readonly Buffer[], create: boolean, member: Buffer): RootedPath | undefined {
    const resolved: Buffer[] = [];
    const pending = [...parts].reverse(); // a stack: the next component is at the end
    let links = 0;
    for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
      if (part.length === 0 || part.equals(DOT)) continue;
      if (part.equals(DOTDOT)) {
        resolved.pop(); // clamped at the root
        continue;
      }
      const candidate = [...resolved, part];
      const abs = this.absOf(candidate);
      const st = this.lstat(abs);
      if (st === undefined) {
        if (!create) return undefined;
        try {
          mkdirSync(abs, 0o755);
        } catch (err) {
          throw ioError('create a parent directory', abs, err);
        }
        resolved.push(part);
      } else if (st.isDirectory()) {
        resolved.push(part);
      } else if (st.isSymbolicLink()) {
        if (++links > MAX_SYMLINKS) {
          throw new OverlaydiffError('E_UNSAFE_PATH', `${displayPath(member)}: too many symlinks while resolving it inside the target`, { path: member });
        }
        const target = readlinkSync(abs, { encoding: 'buffer' });
        if (target[0] === SLASH[0]) resolved.length = 0;
        pending.push(...splitLink(target).reverse());
      } else {
        throw new OverlaydiffError(
          'E_NOT_DIRECTORY',
          `${displayPath(member)}: ${displayPath(componentsKeyBytes(candidate))} in the target is not a directory`,
          { path: member },
        );
      }
    }
    return { rel: resolved, abs: this.absOf(resolved) };
  }

  /** lstat with bigint fields; undefined when missing. */
  lstat(abs: Buffer): BigIntStats | undefined {
    try {
      return lstatSync(abs, { bigint: true, throwIfNoEntry: false });
    } catch (err) {
      throw ioError('lstat', abs, err);
    }
  }

  /**
   * The absolute path of `rel` when every component is still a real directory (no symlink, as
   * when it was resolved) and the last one is the same inode; else undefined. Used for work
   * deferred to the end of the apply, when later members may have replaced a parent.
   */
  recheckDir(rel: readonly Buffer[], dev: bigint, ino: bigint): Buffer | undefined {
    for (let i = 1; i <= rel.length; i++) {
      const st = this.lstat(this.absOf(rel.slice(0, i)));
      if (st === undefined || !st.isDirectory()) return undefined;
    }
    const abs = this.absOf(rel);
    const st = this.lstat(abs);
    return st !== undefined && st.isDirectory() && st.dev === dev && st.ino === ino ? abs : undefined;
  }
}

function join(rel: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  rel.forEach((part, i) => {
    if (i > 0) out.push(SLASH);
    out.push(part);
  });
  return out;
}

function splitLink(target: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= target.length; i++) {
    if (i < target.length && target[i] !== SLASH[0]) continue;
    if (i > start) parts.push(target.subarray(start, i));
    start = i + 1;
  }
  return parts;
}

function componentsKeyBytes(parts: readonly Buffer[]): Buffer {
  return Buffer.from(componentsKey(parts), 'latin1');
}
