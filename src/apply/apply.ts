// Applies an OCI layer (tar, tar+gzip or tar+zstd) to a directory, as a plain tree or as an overlay lower.
import { isSha256Digest } from '../blob/digest.js';
import { checkXattrNamespace, dialectFor } from '../classify/namespace.js';
import { OverlaydiffError, abortable, displayPath, throwIfAborted } from '../errors.js';
import { assertXattrNamespaceAccess } from '../fsio/xattr-access.js';
import { ProgressCounter, type ProgressListener } from '../progress.js';
import { readTar } from '../tar/reader.js';
import type { Compression, XattrNamespace } from '../types.js';
import { Applier, type ApplyCounts, type ApplyFormat } from './applier.js';
import { layerTar, newLayerHashes, openLayer } from '../blob/layer-stream.js';

export type { ApplyFormat } from './applier.js';

/** What `apply` applies where, and how. */
export interface ApplyOptions {
  /** The layer blob (tar, tar+gzip or tar+zstd, detected from its bytes): a file path, or the blob's bytes. */
  layer: string | AsyncIterable<Buffer>;
  /** The directory to apply it to (a string, or the path's bytes); it must exist. */
  dir: string | Buffer;
  /**
   * 'plain': whiteouts delete, opaque markers empty their directory's lower content.
   * 'overlay': the same, and the result is an overlay lower: whiteouts become char 0:0 devices,
   * opaque directories get `<ns>.overlay.opaque=y`. Default: 'plain'.
   */
  format?: ApplyFormat;
  /** The namespace of the opaque xattr in overlay format (`user` for a `userxattr` mount). Default: 'trusted'. */
  xattrNamespace?: XattrNamespace;
  /**
   * Apply the members' owners. Default: when running as uid 0, with ids the user namespace
   * cannot map counted in `ownershipSkipped`; true makes every chown failure an error.
   */
  sameOwner?: boolean;
  /** Expected `sha256:<hex>` of the uncompressed tar; a mismatch is E_BAD_ARCHIVE. */
  diffID?: string;
  /** Expected `sha256:<hex>` of the blob as read (compressed or not); a mismatch is E_BAD_ARCHIVE. */
  digest?: string;
  /** Told the members applied and the blob bytes read so far. Default: none. */
  onProgress?: ProgressListener;
  /** Stops between members: `apply` rejects with E_ABORTED and the tree is left partly written. Default: none. */
  signal?: AbortSignal;
}

/** What `apply` did: counts of what it made, and the digests of what it read. */
export interface ApplyResult extends Omit<ApplyCounts, 'mknodCalls'> {
  /** sha256 of the uncompressed tar. */
  diffID: string;
  /** sha256 of the blob as read. */
  digest: string;
  /** Bytes of the uncompressed tar (what the diffID covers). */
  tarSize: number;
  /** The compression detected from the blob's magic bytes. */
  compression: Compression;
  /** Nodes made with mknodat(2): devices, fifos, overlay whiteouts. */
  mknodCalls: number;
}

/**
 * Applies `options.layer` to the directory `options.dir`, member by member in archive order, and
 * reads the blob to its end. Nothing is written outside `dir`, even with another process changing
 * `dir` meanwhile (see RootedTree). Directory modes and mtimes are set after all members. The
 * diffID is checked after the tree is written: on a mismatch the caller must discard `dir`.
 * Rejects with E_USAGE for bad options, E_NOT_FOUND / E_NOT_DIRECTORY for a missing target,
 * E_BAD_ARCHIVE for a malformed layer or a digest mismatch, E_UNSAFE_PATH for a member that
 * would leave `dir`, E_ABORTED when `signal` fires.
 */
export async function apply(options: ApplyOptions): Promise<ApplyResult> {
  return abortable(options.signal, () => applyLayer(options));
}

async function applyLayer(options: ApplyOptions): Promise<ApplyResult> {
  const { layer, dir } = options;
  for (const [what, value] of [
    ['diffID', options.diffID],
    ['digest', options.digest],
  ] as const) {
    if (value !== undefined && !isSha256Digest(value)) {
      throw new OverlaydiffError('E_USAGE', `${what} must be sha256:<64 hex digits>, not ${JSON.stringify(value)}`);
    }
  }
  const format = options.format ?? 'plain';
  const namespace = checkXattrNamespace(options.xattrNamespace);
  if (format === 'overlay') assertXattrNamespaceAccess(namespace, 'apply a layer in overlay format');
  const applier = new Applier(dir, {
    format,
    dialect: dialectFor(namespace),
    sameOwner: options.sameOwner,
  });
  const blob = typeof layer === 'string' ? openLayer(layer) : layer;
  const hashes = newLayerHashes();
  const progress = new ProgressCounter(options.onProgress);
  let tarSize = 0;
  const countTar = async function* (tar: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of tar) {
      tarSize += chunk.length;
      yield chunk;
    }
  };
  try {
    for await (const { entry, body } of readTar(countTar(layerTar(progress.countBytes(blob), hashes, options.signal)))) {
      throwIfAborted(options.signal);
      await applier.member(entry, body);
      progress.item();
    }
    applier.finish();
  } finally {
    applier.close();
  }
  const diffID = `sha256:${hashes.tar.digest('hex')}`;
  const digest = `sha256:${hashes.blob.digest('hex')}`;
  for (const [what, actual, expected] of [
    ['diffID', diffID, options.diffID],
    ['blob digest', digest, options.digest],
  ] as const) {
    if (expected === undefined || expected === actual) continue;
    throw new OverlaydiffError(
      'E_BAD_ARCHIVE',
      `${displayPath(dir)}: the layer's ${what} is ${actual}, not the expected ${expected}; the tree was already written and must be discarded`,
      { path: dir },
    );
  }
  return { ...applier.counts, diffID, digest, tarSize, compression: hashes.compression };
}
