// The values the pipeline stages pass to each other: walk → FsEntry → classify → Change → layer → TarEntry.
import type { ProgressListener } from './progress.js';
import type { Writable } from 'node:stream';

/** The xattr namespace of the overlay's private attributes: `trusted` (kernel default) or `user` (`userxattr`). */
export type XattrNamespace = 'trusted' | 'user';

/** One extended attribute; name and value are raw bytes. */
export interface Xattr {
  readonly name: Buffer;
  readonly value: Buffer;
}

export type FileType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

/** What lstat says about an entry, with 64-bit fields kept as bigint. */
export interface FsStat {
  readonly type: FileType;
  /** Permission bits plus setuid/setgid/sticky (mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly dev: bigint;
  readonly ino: bigint;
  readonly nlink: bigint;
  readonly rdevMajor: number;
  readonly rdevMinor: number;
}

/** An entry of a walked tree. `path` is relative to the tree root, '/'-separated, never empty. */
export interface FsEntry {
  readonly path: Buffer;
  readonly absPath: Buffer;
  readonly stat: FsStat;
  /** Symlink target bytes, for symlinks only. */
  readonly linkTarget?: Buffer;
  /** Every xattr of the entry, sorted by name bytes (private ones included; the layer stage filters). */
  readonly xattrs: readonly Xattr[];
  /** Where a regular file's data lives when not in the entry itself (a metacopy upper's lower origin). */
  readonly data?: DataSource;
}

/** One layer's directory contributing to a merged directory (an upperdir's or a lowerdir's). */
export interface LayerDir {
  readonly absPath: Buffer;
  /** Marked `<ns>.overlay.opaque=x`: its zero-size files may be xattr whiteouts. */
  readonly xattrWhiteouts: boolean;
}

/** A lowerdir's directory, with the index of the lowerdir holding it (0 = topmost). */
export interface LowerLayerDir extends LayerDir {
  readonly layer: number;
}

/** A regular file holding data, identified so a replaced file is detected when it is read. */
export interface DataSource {
  readonly absPath: Buffer;
  readonly dev: bigint;
  readonly ino: bigint;
}

/** What the entry at a path means for the layer. */
export type Change =
  /**
   * Emit the entry (new or changed). `linksOutside` says which of its inode's links may lie
   * outside the walked tree: 'any' for content copied from the lowers (a renamed directory's),
   * 'index' for the one the kernel keeps in the workdir index (index=on). Default: none.
   */
  | { readonly kind: 'add' | 'modify'; readonly path: Buffer; readonly entry: FsEntry; readonly linksOutside?: LinksOutside }
  /** A directory that is emitted only if something below it is (parents precede children). */
  | { readonly kind: 'parent'; readonly path: Buffer; readonly entry: FsEntry }
  /** Hide the lower entry at path (`.wh.NAME`). */
  | { readonly kind: 'delete'; readonly path: Buffer }
  /** Hide the lower content of directory `dir` (`dir/.wh..wh..opq`); follows the dir's own change. */
  | { readonly kind: 'opaque'; readonly dir: Buffer };

export type LinksOutside = 'any' | 'index';

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

/** One tar member, fully decided: the tar stage only encodes it (and streams `source` for file data). */
export interface TarEntry {
  /** Member name without a trailing slash (the encoder adds '/' for directories). */
  readonly path: Buffer;
  readonly type: TarEntryType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Whole seconds since the epoch. */
  readonly mtime: bigint;
  /** Data size: non-zero only for 'file'. */
  readonly size: bigint;
  /** Symlink target, or the hardlink's first name. */
  readonly linkTarget?: Buffer;
  readonly devMajor: number;
  readonly devMinor: number;
  /** xattrs to record as `SCHILY.xattr.*`, sorted by name, none empty. */
  readonly xattrs: readonly Xattr[];
  /** Where to read the data of a 'file' (checked against dev/ino/size when read). */
  readonly source?: DataSource;
}

/** Layer blob compression: media types `...tar`, `...tar+gzip`, `...tar+zstd`. */
export type Compression = 'none' | 'gzip' | 'zstd';

export interface DiffStats {
  /** Tar members written, whiteouts and opaque markers included. */
  entries: number;
  /** Bytes of file data in the layer. */
  bytes: number;
  whiteouts: number;
  opaqueDirs: number;
  hardlinks: number;
  /** Empty xattr values that were left out (PAX cannot carry them). */
  emptyXattrsDropped: number;
  /** Sockets left out (a tar cannot hold them); a socket hiding a lower entry still yields its whiteout. */
  socketsSkipped: number;
  /**
   * Members whose owner is the overflow id (65534) of a user namespace that does not map every id:
   * their real owner is unknown to this process, and the layer records 65534.
   */
  unmappedOwners: number;
}

export interface LayerDescriptor {
  mediaType: string;
  /** Digest of the blob as written (compressed when compression is on). */
  digest: string;
  /** Size of the blob in bytes. */
  size: number;
  /** sha256 of the uncompressed tar. */
  diffID: string;
  /** `containerd.io/uncompressed` (the diffID) and the caller's `annotations`. */
  annotations: { 'containerd.io/uncompressed': string } & Record<string, string>;
  stats: DiffStats;
}

export interface DiffOptions {
  /**
   * The overlay upperdir to diff; several (topmost first) squash into one changeset equal to the
   * diff of their merged view against the lowers.
   */
  upper: string | readonly string[];
  /** The lowerdirs in overlayfs order, topmost first. Default: none (the upper is the first layer). */
  lowers?: readonly string[];
  /**
   * The workdir of the mount the upperdir belongs to. With index=on the kernel keeps copied-up
   * lower hardlinks in `workdir/index` and shows them at every lower name of the set, so the
   * index is part of the snapshot: it is read when this is given, and an upperdir that was
   * mounted with index=on is refused without it. Give it only for a mount with index=on (with
   * index=off the kernel ignores a leftover index). Default: none.
   */
  workdir?: string;
  /** The namespace the mount used for its private xattrs. Default: 'trusted'. */
  xattrNamespace?: XattrNamespace;
  /** A file path (written atomically) or a Writable (not ended on error). */
  output: string | Writable;
  /** Default: 'none', or the one `mediaType` names. */
  compression?: Compression;
  /**
   * The blob's media type, OCI or Docker spelling (`application/vnd.oci.image.layer.v1.tar+zstd`,
   * `application/vnd.docker.image.rootfs.diff.tar.gzip`, ...). It names the compression: `compression`
   * may be left out or must agree. Default: the OCI media type of `compression`.
   */
  mediaType?: string;
  /** Annotations added to the descriptor; `containerd.io/uncompressed` is always the diffID. Default: none. */
  annotations?: Readonly<Record<string, string>>;
  /** gzip level 1–9 (default 6) or zstd level 1–19 (default 3); ignored for 'none'. */
  compressionLevel?: number;
  /** Clamp mtimes to this many seconds since the epoch. Default: no clamping. */
  sourceDateEpoch?: number;
  /** Glob patterns (picomatch syntax, matched against '/'-separated relative paths); a match is neither emitted nor whited out, and excludes its subtree. Default: none. */
  exclude?: readonly string[];
  /** Told the entries written and the uncompressed tar bytes so far, as they grow. */
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}
