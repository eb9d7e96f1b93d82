// File handles (name_to_handle_at) on byte paths, through the in-repo N-API addon in ./native.
import { createRequire } from 'node:module';
import { errnoCode } from '../errors.js';

interface FileHandleAddon {
  handle(path: Buffer): Buffer;
}

// node-gyp puts the addon in build/Release at the package root (two levels above src/fsio or dist/fsio).
const addon = createRequire(import.meta.url)('../../build/Release/file_handle.node') as FileHandleAddon;

/** A file handle as exportfs encodes it: the handle type and the opaque fid bytes. */
export interface FileHandle {
  readonly type: number;
  readonly fid: Buffer;
}

/**
 * The handle of `path` itself (a symlink is not followed), in the encoding overlayfs stores in
 * `overlay.origin` and names index entries by; undefined when the filesystem has no handles.
 */
export function fileHandle(path: Buffer): FileHandle | undefined {
  let raw: Buffer;
  try {
    raw = addon.handle(path);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EOPNOTSUPP' || code === 'ENOTSUP') return undefined;
    throw err;
  }
  return { type: raw.readInt32LE(0), fid: raw.subarray(4) };
}
