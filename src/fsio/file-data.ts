// Reads a regular file's data for the tar stream, checking it is still the file that was walked.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { OverlaydiffError, displayPath, ioError } from '../errors.js';
import type { DataSource } from '../types.js';


/** An open file whose data is read exactly `size` bytes long, no more, no less. */
export class FileData {
  readonly #fd: number;
  readonly #source: DataSource;
  #remaining: bigint;
  #closed = false;

  /** Opens without following symlinks and checks identity and size against the walk (E_FILE_CHANGED). */
  constructor(source: DataSource, size: bigint) {
    this.#source = source;
    this.#remaining = size;
    try {
      this.#fd = openSync(source.absPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      throw ioError('open file', source.absPath, err);
    }
    const st = fstatSync(this.#fd, { bigint: true });
    if (!st.isFile() || st.dev !== source.dev || st.ino !== source.ino || st.size !== size) {
      this.close();
      throw this.#changed(`was replaced or resized (expected ${size} bytes, found ${st.size})`);
    }
  }

  get remaining(): bigint {
    return this.#remaining;
  }

  /** Reads up to `length` bytes into `target` at `offset`; fails if the file ends early. */
  readInto(target: Buffer, offset: number, length: number): number {
    const want = Number(this.#remaining < BigInt(length) ? this.#remaining : BigInt(length));
    let n: number;
    try {
      n = readSync(this.#fd, target, offset, want, null);
    } catch (err) {
      throw ioError('read file', this.#source.absPath, err);
    }
    if (n === 0 && want > 0) throw this.#changed('shrank while being read');
    this.#remaining -= BigInt(n);
    return n;
  }

  /** Checks that nothing was appended after the expected size, then closes. */
  finish(): void {
    const probe = Buffer.alloc(1);
    const extra = readSync(this.#fd, probe, 0, 1, null);
    this.close();
    if (extra !== 0) throw this.#changed('grew while being read');
  }

  /** Closes the file; safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }

  #changed(what: string): OverlaydiffError {
    return new OverlaydiffError(
      'E_FILE_CHANGED',
      `${displayPath(this.#source.absPath)}: ${what}; the upperdir must not change while it is diffed`,
      { path: this.#source.absPath },
    );
  }
}
