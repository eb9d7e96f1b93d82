// The values the pipeline stages pass to each other: walk → FsEntry → classify → Change → layer → TarEntry.
import type { ProgressListener } from './progress.js';
import type { Writable } from 'node:stream';

/** The xattr namespace of the overlay's private attributes: `trusted` (kernel default) or `user` (`userxattr`). */
export type XattrNamespace = 'trusted' | 'user';

/** One extended attribute; name and value are raw bytes. */
export interface Xattr {
  /** The full name, namespace included (`user.foo`, `security.capability`). */
  readonly name: Buffer;
  /** The value's bytes. */
  readonly value: Buffer;
}

/** The type of a filesystem entry, as lstat(2) tells it. */
export type FileType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

/** What lstat says about an entry, with 64-bit fields kept as bigint. */
export interface FsStat {
  /** What kind of entry it is. */
  readonly type: FileType;
  /** Permission bits plus setuid/setgid/sticky (mode & 0o7777). */
  readonly mode: number;
  /** Owner user id, as this process sees it. */
  readonly uid: number;
  /** Owner group id, as this process sees it. */
  readonly gid: number;
  /** Bytes of data (a regular file's; a symlink's target length). */
  readonly size: bigint;
  /** Modification time in nanoseconds since the epoch. */
  readonly mtimeNs: bigint;
  /** Device of the filesystem holding the entry: with `ino`, the identity hardlinks share. */
  readonly dev: bigint;
  /** Inode number (overlay xino sets high bits beyond 2^53, hence bigint). */
  readonly ino: bigint;
  /** Link count. */
  readonly nlink: bigint;
  /** Major device number of a char or block device (0 otherwise). */
  readonly rdevMajor: number;
  /** Minor device number of a char or block device (0 otherwise). */
  readonly rdevMinor: number;
}

/** An entry of a walked tree. */
export interface FsEntry {
  /** Relative to the tree root (the snapshot root), '/'-separated, never empty; raw name bytes. */
  readonly path: Buffer;
  /** Where the entry is on disk (in an upperdir, a lowerdir, or the workdir index). */
  readonly absPath: Buffer;
  /** What lstat says about it. */
  readonly stat: FsStat;
  /** Symlink target bytes, for symlinks only. */
  readonly linkTarget?: Buffer;
  /**
   * Every xattr of the entry, sorted by name bytes, the overlay's private ones (`trusted.overlay.*`,
   * `user.overlay.*`) included: a layer writer drops those, and any empty value (PAX cannot carry it).
   */
  readonly xattrs: readonly Xattr[];
  /**
   * Where a regular file's data lives when not at `absPath` (a metacopy upper's lower origin):
   * read the data from here, the metadata from the entry.
   */
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
  /** The file to read. */
  readonly absPath: Buffer;
  /** Device of the inode expected at `absPath`: a reader checks it, so a file swapped meanwhile is an error. */
  readonly dev: bigint;
  /** Inode number expected at `absPath`. */
  readonly ino: bigint;
}

/**
 * What the entry at a path means for the layer: one element of the stream `changes()` yields and
 * `diff` writes, like continuity's `ChangeFunc` calls. The stream is in canonical order (depth
 * first, names compared as bytes within a directory), each path at most once. A writer handles
 * each kind as its type says: {@link EntryChange} (`add`, `modify`), {@link ParentChange},
 * {@link DeleteChange}, {@link OpaqueChange}. Paths are relative to the snapshot root,
 * '/'-separated raw bytes (no leading or trailing '/').
 */
export type Change = EntryChange | ParentChange | DeleteChange | OpaqueChange;

/** Write `entry`: it is new (`add`) or changed against the lowers (`modify`). */
export interface EntryChange {
  /** `add`: not in the lowers; `modify`: differs from the lowers' entry. */
  readonly kind: 'add' | 'modify';
  /** Where the entry goes in the layer. */
  readonly path: Buffer;
  /** The entry's metadata, xattrs and where its data is. */
  readonly entry: FsEntry;
  /**
   * Which of the inode's other links may lie outside the stream, so a writer must not make a
   * hardlink to a name it has not written: `'any'` for content copied from the lowers (inside a
   * renamed directory), `'index'` for the copy the kernel keeps in the workdir index (index=on).
   * Absent: every link of the inode is in the stream.
   */
  readonly linksOutside?: LinksOutside;
}

/**
 * An unchanged directory on the way to a change. Write it (before its children) only if something
 * below it is written, and drop it when its subtree ends without one: `diff` writes it with its
 * real metadata, so every member of a layer follows its parent directory.
 */
export interface ParentChange {
  /** Discriminant. */
  readonly kind: 'parent';
  /** The directory's path. */
  readonly path: Buffer;
  /** The directory's metadata, for writing it. */
  readonly entry: FsEntry;
}

/** Hide the lower entry at `path` (a whiteout, `.wh.NAME` in a tar layer). */
export interface DeleteChange {
  /** Discriminant. */
  readonly kind: 'delete';
  /** The path the lowers have and the snapshot does not. */
  readonly path: Buffer;
}

/**
 * Hide everything the lowers have below the directory `dir` (`dir/.wh..wh..opq` in a tar layer).
 * It follows that directory's own change.
 */
export interface OpaqueChange {
  /** Discriminant. */
  readonly kind: 'opaque';
  /** The opaque directory's path. */
  readonly dir: Buffer;
}

/** Which links of an `add`/`modify` change's inode may lie outside the stream; see {@link EntryChange}. */
export type LinksOutside = 'any' | 'index';

/** The type of a tar member. */
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

/** Counts of what a layer holds and what `diff` left out. */
export interface DiffStats {
  /** Tar members written, whiteouts and opaque markers included. */
  entries: number;
  /** Bytes of file data in the layer. */
  bytes: number;
  /** Whiteouts (`.wh.NAME`) written. */
  whiteouts: number;
  /** Opaque markers (`.wh..wh..opq`) written. */
  opaqueDirs: number;
  /** Hardlink members written (links to a file written earlier in the layer). */
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

/**
 * The OCI content descriptor of a layer blob, exactly what an image manifest lists (nothing else:
 * the diffID and the stats are beside it in {@link DiffResult}).
 */
export interface LayerDescriptor {
  /** The blob's media type, e.g. `application/vnd.oci.image.layer.v1.tar+gzip`. */
  mediaType: string;
  /** `sha256:<hex>` of the blob as written (compressed when compression is on). */
  digest: string;
  /** Size of the blob in bytes. */
  size: number;
  /** `containerd.io/uncompressed` (the diffID) and the caller's `annotations`. */
  annotations: LayerAnnotations;
}

/** A layer descriptor's annotations: the caller's, and always the diffID. */
export interface LayerAnnotations {
  [key: string]: string;
  /** The diffID, under the name containerd labels a layer blob with. */
  'containerd.io/uncompressed': string;
}

/** What `diff` wrote: the blob's descriptor, the diffID of its tar, and what the layer holds. */
export interface DiffResult {
  /** The layer blob's OCI descriptor. */
  descriptor: LayerDescriptor;
  /** `sha256:<hex>` of the uncompressed tar (the image config's `rootfs.diff_ids` entry). */
  diffID: string;
  /** Counts of the layer's members. */
  stats: DiffStats;
}

/** The snapshot a change stream or a diff reads: its upperdir(s) and lowerdirs, and how to read them. */
export interface ChangesOptions {
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
  /** Glob patterns (picomatch syntax, matched against '/'-separated relative paths); a match is neither emitted nor whited out, and excludes its subtree. Default: none. */
  exclude?: readonly string[];
  /** Stops the walk: the operation rejects with `E_ABORTED`. Default: none. */
  signal?: AbortSignal;
}

/** What `diff` reads (see {@link ChangesOptions}), where it writes the layer and how. */
export interface DiffOptions extends ChangesOptions {
  /** A file path (written atomically) or a Writable (ended on success, left open on failure). */
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
  /** Told the entries written and the uncompressed tar bytes so far, as they grow. Default: none. */
  onProgress?: ProgressListener;
}
