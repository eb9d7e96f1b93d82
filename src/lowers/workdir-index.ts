// Reads an overlay's inode index (workdir/index, index=on): which lower inodes were copied up, and their copies.
import { isWhiteout } from '../classify/whiteout.js';
import type { Dialect } from '../classify/namespace.js';
import { OverlaydiffError, displayPath, ioError } from '../errors.js';
import { fileHandle } from '../fsio/file-handle.js';
import { joinPath, listSorted, lstatEntry } from '../fsio/tree.js';
import type { FsEntry, FsStat } from '../types.js';
import { getXattr } from '../fsio/xattr.js';
import { readEntry } from '../fsio/read-entry.js';

const INDEX_DIR = Buffer.from('index');
/** `struct ovl_fb` (fs/overlayfs/overlayfs.h): version, magic 0xfb, len, flags, type, uuid[16], then the fid. */
const FB_MAGIC = 0xfb;
const FB_HEADER = 21;

/**
 * The index of an overlay mounted with index=on. Copying up one name of a lower hardlink set puts
 * the copy in `workdir/index`, named by the hex of the lower inode's file handle (the same bytes
 * as the copy's `<ns>.overlay.origin`; namei.c ovl_get_index_name), and from then on the kernel
 * shows that copy at every name whose topmost lower entry is that inode — also after the upper
 * name is removed or replaced. A lower inode is matched to its entry by computing its handle
 * (name_to_handle_at) once; only multiply-linked non-directories can be indexed.
 */
export class WorkdirIndex {
  /** "type:fid" → the index entry (the copy). */
  readonly #byHandle = new Map<string, FsEntry>();
  /** "dev:ino" of every copy in the index. */
  readonly #copies = new Set<string>();
  /** "dev:ino" of a lower inode → its copy, or null when it has none (cache). */
  readonly #byLower = new Map<string, FsEntry | null>();

  /** Reads `workdir/index`; a workdir without one (the mount never had index=on) gives an empty index. */
  constructor(workdir: Buffer, dialect: Dialect) {
    const dir = joinPath(workdir, INDEX_DIR);
    let names: Buffer[];
    try {
      names = lstatEntry(dir)?.type === 'dir' ? listSorted(dir) : [];
    } catch (err) {
      throw ioError('read the overlay index', dir, err);
    }
    for (const name of names) {
      // "#<hex>": the kernel's temporary names (ovl_tempname), e.g. the whiteout it links whiteouts to.
      if (name[0] === 0x23) continue;
      const entry = readEntry(name, joinPath(dir, name));
      const key = handleKey(entry);
      if (entry.stat.type === 'dir' || isWhiteout(entry.stat, [], dialect, false)) {
        throw new OverlaydiffError(
          'E_UNSUPPORTED_OVERLAY',
          `${displayPath(entry.absPath)}: an overlay index entry that is a ${entry.stat.type === 'dir' ? 'directory' : 'whiteout'} ` +
            '(kept with nfs_export=on); such indexes are not supported: diff a mount without nfs_export',
          { path: entry.absPath },
        );
      }
      this.#byHandle.set(key, entry);
      this.#copies.add(inodeKey(entry.stat));
    }
  }

  get size(): number {
    return this.#byHandle.size;
  }

  /** True when `stat` is the inode of a copy held in the index. */
  holds(stat: FsStat): boolean {
    return stat.nlink > 1n && this.#copies.has(inodeKey(stat));
  }

  /** The index's copy of the lower inode at `absPath`, or undefined when it was never copied up. */
  copyOf(absPath: Buffer, stat: FsStat): FsEntry | undefined {
    if (this.#byHandle.size === 0 || stat.type === 'dir' || stat.nlink < 2n) return undefined;
    const key = inodeKey(stat);
    let copy = this.#byLower.get(key);
    if (copy === undefined) {
      const handle = this.#handle(absPath);
      copy = handle === undefined ? null : (this.#byHandle.get(`${handle.type & 0xff}:${handle.fid.toString('hex')}`) ?? null);
      this.#byLower.set(key, copy);
    }
    return copy ?? undefined;
  }

  #handle(absPath: Buffer): ReturnType<typeof fileHandle> {
    try {
      return fileHandle(absPath);
    } catch (err) {
      throw ioError('get the file handle of lower entry', absPath, err);
    }
  }
}

// The handle an index entry is named by, as "type:fid" (uuid and flags left out: the lowers share one filesystem).
function handleKey(entry: FsEntry): string {
  const hex = entry.path.toString('latin1');
  const bytes = /^([0-9a-f]{2})+$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
  if (bytes === undefined || bytes.length <= FB_HEADER || bytes[1] !== FB_MAGIC || bytes[2] !== bytes.length) {
    throw new OverlaydiffError(
      'E_UNSUPPORTED_OVERLAY',
      `${displayPath(entry.absPath)}: not an overlay index entry (expected the hex of an overlay file handle); ` +
        'give the workdir of the mount the upperdir belongs to',
      { path: entry.absPath },
    );
  }
  return `${bytes[4]}:${bytes.subarray(FB_HEADER).toString('hex')}`;
}

function inodeKey(stat: FsStat): string {
  return `${stat.dev}:${stat.ino}`;
}

/**
 * Refuses an upperdir that was mounted with index=on when the workdir is not given: the kernel
 * sets `<ns>.overlay.origin` on the upper root only then (super.c ovl_get_indexdir), and without
 * the index the names it serves from there would silently keep their old content in the layer.
 */
export function assertIndexNotNeeded(upper: Buffer, dialect: Dialect): void {
  let origin: Buffer | undefined;
  try {
    origin = getXattr(upper, dialect.xattr('origin'));
  } catch (err) {
    throw ioError('read xattrs of the upperdir', upper, err);
  }
  if (origin !== undefined) throw indexNeedsWorkdir(upper);
}

/** The error for index=on state without the workdir: pass it. */
export function indexNeedsWorkdir(path: Buffer): OverlaydiffError {
  return new OverlaydiffError(
    'E_UNSUPPORTED_OVERLAY',
    `${displayPath(path)}: this upperdir was mounted with index=on (overlay.origin on the upper root, or overlay.nlink), ` +
      'so the kernel keeps part of the snapshot in the workdir index; pass option `workdir` (the workdir of the mount) to diff it',
    { path },
  );
}
