// Reads a regular file's data for the tar stream, checking it is still the file that was walked.
// A sparse file's holes are found with SEEK_DATA/SEEK_HOLE (the native addon) and emitted as zeros
// without being read; without the addon every byte is read, with the same result.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { OverlaydiffError, displayPath, errnoCode, ioError } from '../errors.js';
import type { DataSource } from '../types.js';
import { optionalNativeAddon } from './native-addon.js';

interface SeekAddon {
  /** The next data byte ('data'; -1 when there is none before the end) or hole ('hole') at or after `offset`. */
  seek(fd: number, offset: number, whence: 'data' | 'hole'): number;
}

// A file smaller than this is read whole: skipping its holes saves less than the two lseeks cost.
const SPARSE_MIN_SIZE = 1n << 20n;

let seekAddon: SeekAddon | null | undefined;

// The addon's seek, or null when no addon loads here (then holes are read like data).
function seeker(): SeekAddon | null {
  // Without it, reading the holes is correct, only slower.
  if (seekAddon === undefined) seekAddon = optionalNativeAddon<SeekAddon>('seek');
  return seekAddon;
}

/** The current data segment [start, end) of a sparse file; start === end === size past the last one. */
interface Segment {
  start: number;
  end: number;
}

/** An open file whose data is read exactly `size` bytes long, no more, no less. */
export class FileData {
  readonly #fd: number;
  readonly #source: DataSource;
  readonly #size: bigint;
  #remaining: bigint;
  #position = 0;
  /** Set when the file has fewer blocks than its size needs and the addon can find its holes. */
  #segment: Segment | undefined;
  readonly #seek: SeekAddon | null = null;
  #closed = false;

  /** Opens without following symlinks and checks identity and size against the walk (E_FILE_CHANGED). */
  constructor(source: DataSource, size: bigint) {
    this.#source = source;
    this.#size = size;
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
    // st_blocks counts 512-byte units whatever the filesystem's block size (stat(2)).
    if (size >= SPARSE_MIN_SIZE && st.blocks * 512n < size) {
      this.#seek = seeker();
      if (this.#seek !== null) this.#segment = { start: 0, end: 0 };
    }
  }

  get remaining(): bigint {
    return this.#remaining;
  }

  /** Reads up to `length` bytes into `target` at `offset` (zeros for a hole); fails if the file ends early. */
  readInto(target: Buffer, offset: number, length: number): number {
    let want = Number(this.#remaining < BigInt(length) ? this.#remaining : BigInt(length));
    if (want === 0) return 0;
    if (this.#segment !== undefined) {
      if (this.#position >= this.#segment.end) this.#segment = this.#nextSegment(this.#position);
      if (this.#position < this.#segment.start) {
        const zeros = Math.min(want, this.#segment.start - this.#position);
        target.fill(0, offset, offset + zeros);
        this.#advance(zeros);
        return zeros;
      }
      want = Math.min(want, this.#segment.end - this.#position);
    }
    let n: number;
    try {
      n = readSync(this.#fd, target, offset, want, this.#position);
    } catch (err) {
      throw ioError('read file', this.#source.absPath, err);
    }
    if (n === 0) throw this.#changed('shrank while being read');
    this.#advance(n);
    return n;
  }

  /** Checks that the file did not grow (nor, for a sparse file, shrink) after the expected size, then closes. */
  finish(): void {
    const probe = Buffer.alloc(1);
    const extra = readSync(this.#fd, probe, 0, 1, this.#size);
    // A sparse file's holes are not read, so a shrink inside one is seen only in its size.
    const shrank = this.#segment !== undefined && fstatSync(this.#fd, { bigint: true }).size < this.#size;
    this.close();
    if (extra !== 0) throw this.#changed('grew while being read');
    if (shrank) throw this.#changed('shrank while being read');
  }

  /** Closes the file; safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }

  #advance(n: number): void {
    this.#position += n;
    this.#remaining -= BigInt(n);
  }

  // The data segment at or after `from`; past the last one, an empty segment at the expected size
  // (the rest of the file is a hole). A filesystem without SEEK_DATA support is one data segment.
  #nextSegment(from: number): Segment {
    const size = Number(this.#size);
    const seek = this.#seek;
    if (seek === null) return { start: from, end: size };
    try {
      const start = seek.seek(this.#fd, from, 'data');
      if (start === -1) return { start: size, end: size };
      return { start, end: seek.seek(this.#fd, start, 'hole') };
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EINVAL' || code === 'EOPNOTSUPP') return { start: from, end: size };
      throw ioError('find the data of', this.#source.absPath, err);
    }
  }

  #changed(what: string): OverlaydiffError {
    return new OverlaydiffError('E_FILE_CHANGED', `${displayPath(this.#source.absPath)}: ${what}; the upperdir must not change while it is diffed`, {
      path: this.#source.absPath,
    });
  }
}
