// verify: does a layer, applied on the lowers' merged view, give the snapshot's merged view?
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { compareCanonical } from '../canonical-order.js';
import { checkXattrNamespace, dialectFor } from '../classify/namespace.js';
import { assertXattrNamespaceAccess } from '../fsio/xattr-access.js';
import { upperChanges } from '../diff/upper-changes.js';
import { resolveDirectory } from '../fsio/directory.js';
import { buildLayer } from '../layer/build-layer.js';
import { emptyStats } from '../layer/stats.js';
import { MergedLowers } from '../lowers/merged-lowers.js';
import { readTar } from '../tar/reader.js';
import type { DataSource, TarEntry, XattrNamespace } from '../types.js';
import { abortable, displayPath, ioError, throwIfAborted } from '../errors.js';
import { ProgressCounter, type ProgressListener } from '../progress.js';
import { FlatTree, type LayerMember } from '../layer/flat-tree.js';
import { layerTar, newLayerHashes, openLayer } from '../blob/layer-stream.js';

/** Which layer `verify` checks against which snapshot. */
export interface VerifyOptions {
  /** The layer blob (tar, tar+gzip or tar+zstd, detected), a file path. */
  layer: string;
  /** The lowerdirs the layer applies to, topmost first. */
  lowers: readonly string[];
  /** The snapshot's merged view: a live overlay mountpoint, or a plain tree. */
  merged: string;
  /** The namespace of the lowers' overlay attributes. Default: 'trusted'. */
  xattrNamespace?: XattrNamespace;
  /** Told the entries read (lowers, layer, merged view) so far. Default: none. */
  onProgress?: ProgressListener;
  /** Stops between entries: `verify` rejects with E_ABORTED. Default: none. */
  signal?: AbortSignal;
}

/** What `verify` found: an empty `mismatches` means the layer is right. */
export interface VerifyResult {
  /** Entries of the merged view compared. */
  entries: number;
  /** Every difference, in canonical path order. */
  mismatches: Mismatch[];
}

/** One difference between the layer applied on the lowers and the merged view. */
export interface Mismatch {
  /** The entry's path (non-UTF-8 bytes as \xNN). */
  path: string;
  /** What differs, e.g. "mode 0644 in the layer, 0600 in the merged view". */
  what: string;
}

/** File content as the comparison sees it: a file to hash, or the hash of a layer member's data. */
type Content = { readonly file: DataSource } | { readonly sha256: string };

/**
 * Applies `layer` in memory (metadata and content hashes, no files written) on the merged view
 * of `lowers` and compares the result with `merged`, entry by entry: type, mode, owner, size,
 * content, symlink target, device numbers, non-private xattrs, hardlink groups, and the mtime of
 * non-directories (whole seconds). Returns every mismatch; an empty list means the layer is right.
 * Rejects with E_NOT_FOUND / E_NOT_DIRECTORY for a missing layer or directory, E_BAD_ARCHIVE for
 * a malformed layer, E_PERMISSION when the namespace's xattrs cannot be read, E_ABORTED when
 * `signal` fires.
 */
export async function verify(options: VerifyOptions): Promise<VerifyResult> {
  const namespace = checkXattrNamespace(options.xattrNamespace);
  const dialect = dialectFor(namespace);
  assertXattrNamespaceAccess(namespace, 'verify');
  const lowers = options.lowers.map((lower) => resolveDirectory('lowerdir', lower));
  const merged = resolveDirectory('merged view', options.merged);
  const { signal } = options;
  const progress = new ProgressCounter(options.onProgress);
  return abortable(signal, async () => {
    const expected = new FlatTree<Content>();
    // The lowers' merged view, read as if it were one layer over nothing.
    expected.applyLayer(await collect(treeMembers(lowers, dialect, signal), progress));
    expected.applyLayer(await layerMembers(options.layer, progress, signal));
    const actual = await collect(treeMembers([merged], dialect, signal), progress);
    return compare([...expected.members()], actual);
  });
}

async function* treeMembers(roots: readonly Buffer[], dialect: ReturnType<typeof dialectFor>, signal?: AbortSignal): AsyncGenerator<LayerMember<Content>> {
  if (roots.length === 0) return;
  const stats = emptyStats();
  const changes = upperChanges(roots, new MergedLowers([], dialect), { dialect, stats, ...(signal ? { signal } : {}) });
  for await (const entry of buildLayer(changes, { stats, checkLinkCounts: false })) {
    yield entry.source === undefined ? { entry } : { entry, content: { file: entry.source } };
  }
}

async function layerMembers(layer: string, progress: ProgressCounter, signal?: AbortSignal): Promise<LayerMember<Content>[]> {
  const hashes = newLayerHashes();
  const members: LayerMember<Content>[] = [];
  for await (const { entry, body } of readTar(layerTar(openLayer(layer), hashes, signal))) {
    throwIfAborted(signal);
    progress.item();
    if (entry.type !== 'file' || entry.size === 0n) {
      members.push({ entry });
      continue;
    }
    const hash = createHash('sha256');
    for await (const chunk of body) hash.update(chunk);
    members.push({ entry, content: { sha256: hash.digest('hex') } });
  }
  return members;
}

async function collect<T>(items: AsyncIterable<T>, progress: ProgressCounter): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
    progress.item();
  }
  return out;
}

// Both lists are in canonical order (depth first, names by bytes), so one merge pass pairs them.
function compare(expected: LayerMember<Content>[], actual: LayerMember<Content>[]): VerifyResult {
  const mismatches: Mismatch[] = [];
  let i = 0;
  let j = 0;
  while (i < expected.length || j < actual.length) {
    const e = expected[i];
    const a = actual[j];
    const order = e === undefined ? 1 : a === undefined ? -1 : compareCanonical(e.entry.path, a.entry.path);
    if (order < 0) {
      mismatches.push({ path: displayPath(e!.entry.path), what: 'in the layer applied on the lowers, missing from the merged view' });
      i++;
    } else if (order > 0) {
      mismatches.push({ path: displayPath(a!.entry.path), what: 'in the merged view, missing from the layer applied on the lowers' });
      j++;
    } else {
      for (const what of differences(e!, a!)) mismatches.push({ path: displayPath(e!.entry.path), what });
      i++;
      j++;
    }
  }
  return { entries: actual.length, mismatches };
}

function differences(e: LayerMember<Content>, a: LayerMember<Content>): string[] {
  const x = e.entry;
  const y = a.entry;
  const out: string[] = [];
  const field = (name: string, ev: unknown, av: unknown): void => {
    if (ev !== av) out.push(`${name} ${String(ev)} in the layer applied on the lowers, ${String(av)} in the merged view`);
  };
  field('type', x.type, y.type);
  if (out.length > 0) return out;
  field('mode', x.mode.toString(8).padStart(4, '0'), y.mode.toString(8).padStart(4, '0'));
  field('uid', x.uid, y.uid);
  field('gid', x.gid, y.gid);
  field('size', x.size, y.size);
  field('device', `${x.devMajor}:${x.devMinor}`, `${y.devMajor}:${y.devMinor}`);
  if (x.type !== 'dir') field('mtime', x.mtime, y.mtime);
  if (x.type === 'symlink' || x.type === 'hardlink') field(x.type === 'symlink' ? 'target' : 'link to', show(x.linkTarget), show(y.linkTarget));
  field('xattrs', xattrText(x), xattrText(y));
  if (x.type === 'file' && x.size === y.size) field('content sha256', contentHash(e.content), contentHash(a.content));
  return out;
}

function show(bytes: Buffer | undefined): string {
  return bytes === undefined ? '(none)' : displayPath(bytes);
}

function xattrText(entry: TarEntry): string {
  return entry.xattrs.map((x) => `${displayPath(x.name)}=${x.value.toString('hex')}`).join(',') || '(none)';
}

function contentHash(content: Content | undefined): string {
  if (content === undefined) return createHash('sha256').digest('hex');
  if ('sha256' in content) return content.sha256;
  return hashFile(content.file);
}

// Hashes a file of the lowers or of the merged view (never following a symlink).
function hashFile(source: DataSource): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  let fd: number;
  try {
    fd = openSync(source.absPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw ioError('read file to verify', source.absPath, err);
  }
  try {
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
