// Owns "a directory fd inside the target": resolves member paths to directory fds below the root fd, never leaving it.
import { closeSync } from 'node:fs';
import { OverlaydiffError, displayPath, errnoCode, ioError } from '../errors.js';
import { isDirStat, isSymlinkStat, rootedAt } from '../fsio/rooted-at.js';
import { MAX_RESOLVED_BYTES, MAX_SYMLINKS } from '../layer/member-path.js';

const SLASH = 0x2f;
const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

/** A directory inside the root: an O_PATH fd (owned by the tree) and the components it was reached by. */
export interface RootedDir {
  readonly fd: number;
  readonly rel: readonly Buffer[];
}

interface Step {
  readonly name: Buffer;
  readonly fd: number;
}

/**
 * The target directory of an apply, as an fd opened once; the only absolute path used is the one
 * given to the constructor. Every other operation is relative to a directory fd reached from the
 * root fd one component at a time with openat2(RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH) (openat with
 * O_NOFOLLOW on kernels without openat2), so a concurrent writer that swaps a directory for a
 * symlink makes a step fail, never leads it outside the root:
 *
 * - a symlink met on the way is read (readlinkat) and resolved WITHIN the root, as
 *   openat2(RESOLVE_IN_ROOT) and cyphar/filepath-securejoin do: an absolute target restarts at the
 *   root fd, '..' pops one step (clamped at the root), at most MAX_SYMLINKS links per path;
 * - the last component is never followed: callers act on (dir fd, name) with *at calls and
 *   AT_SYMLINK_NOFOLLOW, or create it exclusively.
 *
 * The steps of the last resolution are kept, so a member below the previous one's directory costs
 * one openat per new component (archive order is depth first): time is linear in the archive.
 */
export class RootedTree {
  readonly rootFd: number;
  /** The target as given, for messages only. */
  readonly display: string;
  #steps: Step[] = [];

  constructor(dir: string | Buffer) {
    this.display = displayPath(dir);
    try {
      this.rootFd = rootedAt.openRoot(typeof dir === 'string' ? Buffer.from(dir) : dir);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOTDIR') throw new OverlaydiffError('E_NOT_DIRECTORY', `${this.display}: the target is not a directory`, { path: dir, cause: err });
      throw ioError('open the target directory', dir, err);
    }
  }

  get root(): RootedDir {
    return { fd: this.rootFd, rel: [] };
  }

  /**
   * Resolves `parts` as a directory inside the root, following symlinks within the root (unless
   * `followSymlinks` is false: then a symlink or other non-directory on the way gives undefined). A missing component is
   * created (mode 0755) when `create`, else the result is undefined. A component that is neither
   * a directory nor a symlink is an error (E_NOT_DIRECTORY). The fd stays valid until the next
   * call of resolveDir or close.
   */
  resolveDir(parts: readonly Buffer[], create: boolean, member: Buffer, followSymlinks = true): RootedDir | undefined {
    const old = this.#steps;
    const steps: Step[] = [];
    let shared = 0; // steps[0..shared) are old[0..shared): the fds of the previous resolution
    let bytes = 0;
    let links = 0;
    const pending = [...parts].reverse(); // a stack: the next component is at the end
    const cwd = (): number => steps.at(-1)?.fd ?? this.rootFd;
    const pop = (): void => {
      const step = steps.pop();
      if (step === undefined) return;
      bytes -= step.name.length + 1;
      if (steps.length < shared) shared = steps.length;
      else closeSync(step.fd);
    };
    const finish = (result: RootedDir | undefined): RootedDir | undefined => {
      for (let i = shared; i < old.length; i++) closeSync(old[i]!.fd);
      this.#steps = steps;
      return result;
    };
    try {
      for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
        if (part.length === 0 || part.equals(DOT)) continue;
        if (part.equals(DOTDOT)) {
          pop();
          continue;
        }
        const reuse = old[steps.length];
        if (shared === steps.length && reuse !== undefined && reuse.name.equals(part)) {
          steps.push(reuse);
          shared++;
          bytes += part.length + 1;
          continue;
        }
        const next = this.#step(cwd(), part, create, member, steps, followSymlinks);
        if (next === 'missing' || next === 'other') return finish(undefined);
        if (next === 'symlink') {
          if (!followSymlinks) return finish(undefined);
          if (++links > MAX_SYMLINKS) {
            throw new OverlaydiffError('E_UNSAFE_PATH', `${displayPath(member)}: more than ${MAX_SYMLINKS} symlinks while resolving it inside the target`, {
              path: member,
            });
          }
          const target = this.#readLink(cwd(), part, steps);
          if (target[0] === SLASH) while (steps.length > 0) pop();
          pending.push(...splitLink(target).reverse());
          continue;
        }
        bytes += part.length + 1;
        steps.push({ name: Buffer.from(part), fd: next });
        if (bytes > MAX_RESOLVED_BYTES) {
          throw new OverlaydiffError(
            'E_UNSAFE_PATH',
            `${displayPath(member)}: resolves to a location longer than ${MAX_RESOLVED_BYTES} bytes inside the target`,
            { path: member },
          );
        }
      }
    } catch (err) {
      finish(undefined);
      throw err;
    }
    return finish({ fd: cwd(), rel: steps.map((s) => s.name) });
  }

  /** Closes every fd; the tree is unusable afterwards. */
  close(): void {
    for (const step of this.#steps) closeSync(step.fd);
    this.#steps = [];
    closeSync(this.rootFd);
  }

  /** A human name for `rel` below the target, for messages. */
  describe(rel: readonly Buffer[]): Buffer {
    return Buffer.concat([Buffer.from(this.display), ...rel.flatMap((p) => [Buffer.from('/'), p])]);
  }

  // One component below `dirfd`: its new fd, 'symlink', 'missing' (when not creating), or 'other'
  // for a non-directory when `strict` is false (else that is E_NOT_DIRECTORY).
  #step(dirfd: number, name: Buffer, create: boolean, member: Buffer, steps: readonly Step[], strict: boolean): number | 'symlink' | 'missing' | 'other' {
    const rel = [...steps.map((s) => s.name), name];
    for (let attempt = 0; ; attempt++) {
      try {
        return rootedAt.openDir(dirfd, name);
      } catch (err) {
        const code = errnoCode(err);
        if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ELOOP') throw ioError('open a directory', this.describe(rel), err);
      }
      const st = rootedAt.lstatAt(dirfd, name);
      if (st !== undefined && isSymlinkStat(st)) return 'symlink';
      if (st !== undefined && !isDirStat(st)) {
        if (!strict) return 'other';
        throw new OverlaydiffError('E_NOT_DIRECTORY', `${displayPath(member)}: ${displayPath(this.describe(rel))} in the target is not a directory`, {
          path: member,
        });
      }
      if (st === undefined) {
        if (!create) return 'missing';
        try {
          rootedAt.mkdirAt(dirfd, name, 0o755);
        } catch (err) {
          if (errnoCode(err) !== 'EEXIST') throw ioError('create a parent directory', this.describe(rel), err);
        }
      }
      // Changed under us (a concurrent writer): look again, a bounded number of times.
      if (attempt >= 8)
        throw new OverlaydiffError('E_IO', `${displayPath(this.describe(rel))}: keeps changing while being resolved; is another process writing the target?`, {
          path: member,
        });
    }
  }

  #readLink(dirfd: number, name: Buffer, steps: readonly Step[]): Buffer {
    try {
      return rootedAt.readLinkAt(dirfd, name);
    } catch (err) {
      throw ioError('read a symlink', this.describe([...steps.map((s) => s.name), name]), err);
    }
  }
}

function splitLink(target: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= target.length; i++) {
    if (i < target.length && target[i] !== SLASH) continue;
    if (i > start) parts.push(target.subarray(start, i));
    start = i + 1;
  }
  return parts;
}
