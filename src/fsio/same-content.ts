// Compares two regular files' data, chunk by chunk.
import { closeSync, openSync, readSync, constants } from 'node:fs';
import { ioError } from '../errors.js';

const CHUNK = 1 << 20;

/** True when both files hold the same bytes (sizes are assumed equal and checked by the caller). */
export function sameContent(a: Buffer, b: Buffer): boolean {
  const fa = open(a);
  try {
    const fb = open(b);
    try {
      const ba = Buffer.allocUnsafe(CHUNK);
      const bb = Buffer.allocUnsafe(CHUNK);
      for (;;) {
        const na = read(fa, ba, a);
        const nb = read(fb, bb, b);
        if (na !== nb || ba.compare(bb, 0, nb, 0, na) !== 0) return false;
        if (na === 0) return true;
      }
    } finally {
      closeSync(fb);
    }
  } finally {
    closeSync(fa);
  }
}

function open(path: Buffer): number {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    throw ioError('open file to compare', path, err);
  }
}

// Fills the buffer as far as the file allows, so chunk boundaries line up between the two files.
function read(fd: number, buf: Buffer, path: Buffer): number {
  let n = 0;
  try {
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
  } catch (err) {
    throw ioError('read file to compare', path, err);
  }
  return n;
}
