// The bench's trees, the same on every run: seeded by fixtures/prng.ts (the generator the tests use).
// Changes to a lower go through a real overlay mount (the bench runs in a private mount namespace),
// so the upperdirs hold what the kernel writes: copy-ups, whiteouts, an opaque directory.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync, appendFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Rng } from '../fixtures/prng.js';
import { MiB, isInterrupted, must } from './lib.js';

const WORDS = [
  'layer',
  'overlay',
  'upper',
  'lower',
  'whiteout',
  'opaque',
  'tar',
  'digest',
  'sha256',
  'the',
  'of',
  'and',
  'a',
  'to',
  'in',
  'containerd',
  'snapshot',
  'image',
  '0',
  '1',
  '42',
  'x86_64',
  '{',
  '}',
  '=',
  ';',
];

/** `size` bytes of word soup: compressible like source code or logs, not a repeated line. */
export function textOfSize(rng: Rng, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  while (at < size) {
    const word = rng.pick(WORDS);
    at += out.write(word, at);
    if (at < size) out[at++] = rng.chance(0.1) ? 0x0a : 0x20;
  }
  return out;
}

/** Fills `buf` with seeded random bytes (incompressible, like already-compressed payloads). */
export function fillRandom(rng: Rng, buf: Buffer): Buffer {
  for (let i = 0; i + 4 <= buf.length; i += 4) buf.writeUInt32LE(Math.floor(rng.next() * 0x1_0000_0000), i);
  return buf;
}

/** Where file `i` of a lower of `dirs` directories lives: dNNNN/fNNNNNNN. */
export function lowerFilePath(dirs: number, i: number): string {
  return join(`d${String(i % dirs).padStart(4, '0')}`, `f${String(i).padStart(7, '0')}`);
}

/** A lower of `files` files in `dirs` directories: 0–2 KiB of text each, or empty. */
export async function buildLower(dir: string, files: number, dirs: number, empty: boolean): Promise<void> {
  for (let d = 0; d < dirs; d++) mkdirSync(join(dir, dirname(lowerFilePath(dirs, d))), { recursive: true });
  const rng = new Rng(1);
  const none = Buffer.alloc(0);
  for (let i = 0; i < files; i++) {
    writeFileSync(join(dir, lowerFilePath(dirs, i)), empty ? none : textOfSize(rng, rng.int(0, 2048)));
    if (i % 4096 === 0) {
      await new Promise(setImmediate);
      if (isInterrupted()) throw new Error('interrupted');
    }
  }
}

/** The paths of `count` lower files spread over the whole lower. */
export function spreadPaths(files: number, dirs: number, count: number, skew = 7): string[] {
  const step = Math.floor(files / count);
  return Array.from({ length: count }, (_, k) => lowerFilePath(dirs, k * step + (skew % step)));
}

/** Mounts an overlay of `lowers` with upper/work below `base`, runs `fn` on the merged view, unmounts. */
export function throughOverlay(base: string, lowers: readonly string[], fn: (merged: string) => void): string {
  const upper = join(base, 'upper');
  const work = join(base, 'work');
  const merged = join(base, 'merged');
  for (const d of [upper, work, merged]) mkdirSync(d, { recursive: true });
  must('mount', [
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${lowers.join(':')},upperdir=${upper},workdir=${work},index=off,metacopy=off,redirect_dir=off`,
    merged,
  ]);
  try {
    fn(merged);
  } finally {
    must('umount', [merged]);
  }
  return upper;
}

/** The small change: `changed` files appended to, two deleted, one directory replaced (opaque). */
export function smallChange(merged: string, files: number, dirs: number, changed: number): void {
  for (const rel of spreadPaths(files, dirs, changed)) appendFileSync(join(merged, rel), 'changed through the overlay\n');
  for (const rel of spreadPaths(files, dirs, 2, 11)) rmSync(join(merged, rel));
  // A directory removed and made again over a lower directory is opaque (overlay.opaque=y).
  const opaque = join(merged, dirname(lowerFilePath(dirs, Math.floor(dirs / 2))));
  rmSync(opaque, { recursive: true });
  mkdirSync(opaque);
  writeFileSync(join(opaque, 'new'), 'new file in an opaque directory\n');
}

export interface NewData {
  bigFiles: number;
  bigFileBytes: number;
  smallFiles: number;
  smallFileBytes: number;
  smallPerDir: number;
}

/** The throughput upper's new data: big files half random, half text, and many small text files. */
export function writeNewData(merged: string, sizes: NewData): void {
  const rng = new Rng(2);
  const big = join(merged, 'new', 'big');
  mkdirSync(big, { recursive: true });
  const chunk = Buffer.allocUnsafe(MiB);
  for (let i = 0; i < sizes.bigFiles; i++) {
    const fd = openSync(join(big, `blob-${i}.bin`), 'w');
    try {
      for (let at = 0; at < sizes.bigFileBytes; at += chunk.length) {
        const n = Math.min(chunk.length, sizes.bigFileBytes - at);
        const data = at < sizes.bigFileBytes / 2 ? fillRandom(rng, chunk) : textOfSize(rng, n);
        writeSync(fd, data, 0, n);
      }
    } finally {
      closeSync(fd);
    }
  }
  for (let i = 0; i < sizes.smallFiles; i++) {
    const dir = join(merged, 'new', 'small', `d${String(Math.floor(i / sizes.smallPerDir)).padStart(4, '0')}`);
    if (i % sizes.smallPerDir === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.txt`), textOfSize(rng, sizes.smallFileBytes));
  }
}

/** `count` empty files, 1,000 per directory (S3: an upper of many entries). */
export async function buildEmptyFiles(dir: string, count: number): Promise<void> {
  await buildLower(dir, count, Math.max(1, Math.ceil(count / 1000)), true);
}

/** A sparse file of `size` bytes with 16 bytes of data at each end (the native test's 9 GiB file). */
export function writeSparse(path: string, size: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, Buffer.from('HEAD-of-the-file'), 0, 16, 0);
    writeSync(fd, Buffer.from('TAIL-of-the-file'), 0, 16, size - 16);
  } finally {
    closeSync(fd);
  }
}
