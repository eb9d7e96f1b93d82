// Directory listing and lstat on byte paths: names stay Buffers, stats stay bigint.
import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import type { FileType, FsStat } from '../types.js';

const SLASH = Buffer.from('/');

/** Joins a directory path and a name as bytes. */
export function joinPath(dir: Buffer, name: Buffer): Buffer {
  if (dir.length === 0) return name;
  return Buffer.concat([dir, SLASH, name]);
}

/** The names in `dir`, sorted by raw bytes (the canonical sibling order). */
export function listSorted(dir: Buffer): Buffer[] {
  return readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare);
}

function fileTypeOf(st: BigIntStats): FileType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

/** lstat as an FsStat; undefined when the path does not exist. Other errors propagate. */
export function lstatEntry(path: Buffer): FsStat | undefined {
  const st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  if (st === undefined) return undefined;
  const rdev = st.rdev;
  return {
    type: fileTypeOf(st),
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: st.size,
    mtimeNs: st.mtimeNs,
    dev: st.dev,
    ino: st.ino,
    nlink: st.nlink,
    // Linux dev_t encoding (glibc gnu_dev_major/minor).
    rdevMajor: Number(((rdev & 0xfff00n) >> 8n) | ((rdev & 0xfffff00000000000n) >> 32n)),
    rdevMinor: Number((rdev & 0xffn) | ((rdev & 0xffffff00000n) >> 12n)),
  };
}

/** A symlink's target as bytes. */
export function readLinkBytes(path: Buffer): Buffer {
  return readlinkSync(path, { encoding: 'buffer' });
}
