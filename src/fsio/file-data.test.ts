import { createHash, randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, lstatSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataSegments, pythonDataSegments, type Seek } from '../../fixtures/data-segments.js';
import type { OverlaydiffError } from '../errors.js';
import { FileData } from './file-data.js';
import { loadNativeAddon } from './native-addon.js';

const MiB = 1 << 20;
const SIZE = 64 * MiB;
// Data at the start, a few bytes at an unaligned offset in the middle, and the last MiB; the rest is holes.
const WRITES: ReadonlyArray<readonly [offset: number, length: number]> = [
  [0, MiB],
  [30 * MiB + 5, 16],
  [SIZE - MiB, MiB],
];

interface SeekAddon {
  seek: Seek;
}

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'overlaydiff-file-data-'));
  path = join(dir, 'sparse');
  const fd = openSync(path, 'w');
  try {
    for (const [offset, length] of WRITES) writeSync(fd, randomBytes(length), 0, length, offset);
    ftruncateSync(fd, SIZE);
  } finally {
    closeSync(fd);
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function source(p: string): { absPath: Buffer; dev: bigint; ino: bigint } {
  const st = lstatSync(p, { bigint: true });
  return { absPath: Buffer.from(p), dev: st.dev, ino: st.ino };
}

// Bytes this process has asked read(2)/pread(2) for (/proc/self/io rchar): holes read would count.
function bytesRead(): number {
  const line = readFileSync('/proc/self/io', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('rchar:'));
  return Number(line?.split(/\s+/)[1]);
}

function addonSegments(p: string): number[][] {
  const addon = loadNativeAddon<SeekAddon>();
  return dataSegments((fd, offset, whence) => addon.seek(fd, offset, whence), p);
}

describe('FileData on a sparse file', () => {
  it('finds the same data segments as lseek from Python, covering every written byte and few holes', () => {
    const segments = addonSegments(path);
    expect(segments).toEqual(pythonDataSegments(path));
    for (const [offset, length] of WRITES) expect(segments.some(([s, e]) => s! <= offset && offset + length <= e!)).toBe(true);
    const dataBytes = segments.reduce((sum, [s, e]) => sum + e! - s!, 0);
    expect(dataBytes).toBeLessThan(8 * MiB);
  });

  it('yields the file byte for byte without reading its holes', () => {
    const st = lstatSync(path, { bigint: true });
    expect(st.blocks * 512n, 'the temp filesystem must keep holes for this test').toBeLessThan(BigInt(SIZE));
    const expected = createHash('sha256').update(readFileSync(path)).digest('hex');
    const chunk = Buffer.alloc(MiB, 0xaa); // not zero: a hole left unfilled would show
    const hash = createHash('sha256');
    const before = bytesRead();
    const data = new FileData(source(path), BigInt(SIZE));
    try {
      let total = 0;
      while (data.remaining > 0n) {
        const n = data.readInto(chunk, 0, chunk.length);
        hash.update(chunk.subarray(0, n));
        total += n;
      }
      data.finish();
      expect(total).toBe(SIZE);
    } finally {
      data.close();
    }
    const read = bytesRead() - before;
    expect(hash.digest('hex')).toBe(expected);
    // The data segments are ~2 MiB; reading the holes too would be 64 MiB.
    expect(read).toBeLessThan(8 * MiB);
  });

  it('fails with E_FILE_CHANGED when the file shrinks inside a hole while being read', () => {
    const chunk = Buffer.alloc(MiB);
    const data = new FileData(source(path), BigInt(SIZE));
    try {
      data.readInto(chunk, 0, chunk.length);
      const fd = openSync(path, 'r+');
      ftruncateSync(fd, 40 * MiB);
      closeSync(fd);
      // Seen at the end (the hole past 40 MiB is not read), where a dense file's read would see it at once.
      expect(() => {
        while (data.remaining > 0n) data.readInto(chunk, 0, chunk.length);
        data.finish();
      }).toThrow(expect.objectContaining({ code: 'E_FILE_CHANGED', message: expect.stringContaining('shrank') }) as OverlaydiffError);
    } finally {
      data.close();
    }
  });

  it('fails with E_FILE_CHANGED when the file grows while being read', () => {
    const chunk = Buffer.alloc(MiB);
    const data = new FileData(source(path), BigInt(SIZE));
    try {
      data.readInto(chunk, 0, chunk.length);
      const fd = openSync(path, 'r+');
      writeSync(fd, Buffer.from('more'), 0, 4, SIZE);
      closeSync(fd);
      while (data.remaining > 0n) data.readInto(chunk, 0, chunk.length);
      expect(() => data.finish()).toThrow(expect.objectContaining({ code: 'E_FILE_CHANGED', message: expect.stringContaining('grew') }) as OverlaydiffError);
    } finally {
      data.close();
    }
  });
});
