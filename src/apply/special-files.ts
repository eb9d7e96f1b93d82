// Creates device nodes and fifos through the mknod(1) command (Node has no mknod), named as bytes.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { OverlaydiffError, displayPath } from '../errors.js';

export type SpecialKind = 'char' | 'block' | 'fifo';

const MKNOD_TYPE: Readonly<Record<SpecialKind, string>> = { char: 'c', block: 'b', fifo: 'p' };

/**
 * Makes special files inside one target directory. mknod(1) takes string arguments only, so a
 * node is made under an ASCII name in a private staging directory inside the target (same
 * filesystem) and renamed to its byte name. Runs with argv, never a shell. One process per node:
 * layers hold few devices, and whiteouts only in overlay format.
 */
export class SpecialFiles {
  readonly #root: Buffer;
  readonly stagingName: Buffer;
  #staging: Buffer | undefined;
  #counter = 0;
  /** mknod processes run. */
  spawned = 0;

  constructor(root: Buffer) {
    this.#root = root;
    this.stagingName = Buffer.from(`.overlaydiff-apply-${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /**
   * Creates the node at `dest` (which must not exist) with mode 0; returns false when the kernel
   * refuses it for lack of privilege (EPERM), so the caller can skip and count it.
   */
  make(dest: Buffer, kind: SpecialKind, major: number, minor: number): boolean {
    const staging = this.#stagingDir();
    const temp = Buffer.concat([staging, Buffer.from(`/n${this.#counter++}`)]);
    const args = ['-m', '0', temp.toString('latin1'), MKNOD_TYPE[kind], ...(kind === 'fifo' ? [] : [String(major), String(minor)])];
    this.spawned++;
    const r = spawnSync('mknod', args, { encoding: 'utf8' });
    if (r.error !== undefined) throw new OverlaydiffError('E_IO', `cannot run mknod: ${r.error.message}`, { cause: r.error });
    if (r.status !== 0) {
      if (/Operation not permitted/.test(r.stderr)) return false;
      throw new OverlaydiffError('E_IO', `${displayPath(dest)}: mknod failed: ${r.stderr.trim()}`, { path: dest });
    }
    renameSync(temp, dest);
    return true;
  }

  /** Removes the staging directory; safe to call more than once. */
  close(): void {
    if (this.#staging !== undefined) rmSync(this.#staging, { recursive: true, force: true });
    this.#staging = undefined;
  }

  #stagingDir(): Buffer {
    if (this.#staging === undefined) {
      const dir = Buffer.concat([this.#root, Buffer.from('/'), this.stagingName]);
      mkdirSync(dir, 0o700);
      this.#staging = dir;
    }
    return this.#staging;
  }
}
