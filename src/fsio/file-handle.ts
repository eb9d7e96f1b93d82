// File handles (name_to_handle_at) on byte paths, through the in-repo N-API addon in ./native.
import { loadNativeAddon } from './native-addon.js';
import { errnoCode } from '../errors.js';

interface FileHandleAddon {
  handle(path: Buffer): Buffer;
}

// The package's addon, loaded on first use.
const addon: FileHandleAddon = { handle: (path) => loadNativeAddon<FileHandleAddon>().handle(path) };

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
