// No-follow xattr access on byte paths (Linux), through the in-repo N-API addon in ./native.
import { errnoCode } from '../errors.js';
import { loadNativeAddon } from './native-addon.js';
import type { Xattr } from '../types.js';

interface XattrAddon {
  list(path: Buffer): Buffer;
  get(path: Buffer, name: Buffer): Buffer;
  set(path: Buffer, name: Buffer, value: Buffer): void;
  remove(path: Buffer, name: Buffer): void;
}

// Loaded on first use, so importing the package never needs the native build.
const addon = (): XattrAddon => loadNativeAddon<XattrAddon>();

/** Splits llistxattr's NUL-separated list into names. */
function splitNames(list: Buffer): Buffer[] {
  const names: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    if (list[i] === 0) {
      if (i > start) names.push(list.subarray(start, i));
      start = i + 1;
    }
  }
  return names;
}

/**
 * Every xattr of `path` (never following a symlink), sorted by name bytes.
 * A name removed between list and get is skipped; a filesystem without xattr support yields [].
 */
export function readXattrs(path: Buffer): Xattr[] {
  let list: Buffer;
  try {
    list = addon().list(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOTSUP') return [];
    throw err;
  }
  const xattrs: Xattr[] = [];
  for (const name of splitNames(list).sort(Buffer.compare)) {
    const value = getXattr(path, name);
    if (value !== undefined) xattrs.push({ name, value });
  }
  return xattrs;
}

/** The value of one xattr, or undefined when it is absent (ENODATA). */
export function getXattr(path: Buffer, name: Buffer): Buffer | undefined {
  try {
    return addon().get(path, name);
  } catch (err) {
    if (errnoCode(err) === 'ENODATA') return undefined;
    throw err;
  }
}

/** Sets an xattr on `path` itself (never a symlink's target). */
export function setXattr(path: Buffer, name: Buffer, value: Buffer): void {
  addon().set(path, name, value);
}
