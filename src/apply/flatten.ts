// flatten: applies layers bottom first in memory (inodes, not paths) and writes one canonical layer.
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestTap } from '../blob/digest.js';
import { writeTo } from '../blob/write-to.js';
import { OverlaydiffError, abortable, ioError, throwIfAborted } from '../errors.js';
import { writeAtomically } from '../fsio/atomic-write.js';
import { ProgressCounter, type ProgressListener } from '../progress.js';
import { readTar } from '../tar/reader.js';
import { writeTar } from '../tar/writer.js';
import type { DataSource } from '../types.js';
import { FlatTree, type LayerMember } from '../layer/flat-tree.js';
import { layerTar, newLayerHashes, openLayer } from '../blob/layer-stream.js';

/** Which layers `flatten` squashes, and where it writes the result. */
export interface FlattenOptions {
  /** Layer blobs (tar, tar+gzip or tar+zstd; paths, or a blob's bytes), bottom layer first. */
  layers: readonly (string | AsyncIterable<Buffer>)[];
  /** A file path (written atomically) or a Writable. */
  output: string | Writable;
  /** Where file data is staged while layers are read. Default: the OS temp dir. */
  tempDir?: string;
  /** Told the members and bytes processed so far: those read from the layers, then those written. Default: none. */
  onProgress?: ProgressListener;
  /** Stops between members: `flatten` rejects with E_ABORTED and a path output is not created. Default: none. */
  signal?: AbortSignal;
}

/** What `flatten` wrote: one uncompressed layer. */
export interface FlattenResult {
  /** sha256 of the flattened tar (it is uncompressed, so this is also its blob digest). */
  diffID: string;
  /** Bytes of the tar. */
  size: number;
  /** Tar members written. */
  entries: number;
}

/**
 * Writes the single layer equal to applying `layers` in order: no whiteouts, canonical order,
 * every hardlink after its target and pointing at the first name. File data is staged in a
 * temporary directory (removed afterwards), so memory holds metadata only. Rejects with
 * E_NOT_FOUND / E_USAGE for a missing or non-file layer path, E_BAD_ARCHIVE for a malformed layer,
 * E_UNSAFE_PATH for a member no apply would write, E_ABORTED when `signal` fires.
 */
export async function flatten(options: FlattenOptions): Promise<FlattenResult> {
  return abortable(options.signal, () => flattenLayers(options));
}

async function flattenLayers(options: FlattenOptions): Promise<FlattenResult> {
  for (const layer of options.layers) if (typeof layer === 'string') assertReadableFile(layer);
  const stage = mkdtempSync(join(options.tempDir ?? tmpdir(), 'overlaydiff-flatten-'));
  try {
    const tree = new FlatTree<DataSource>();
    const progress = new ProgressCounter(options.onProgress);
    let staged = 0;
    for (const layer of options.layers) {
      const members: LayerMember<DataSource>[] = [];
      const hashes = newLayerHashes();
      for await (const { entry, body } of readTar(
        layerTar(progress.countBytes(typeof layer === 'string' ? openLayer(layer) : layer), hashes, options.signal),
      )) {
        throwIfAborted(options.signal);
        progress.item();
        if (entry.type !== 'file' || entry.size === 0n) {
          members.push({ entry });
          continue;
        }
        members.push({ entry, content: await stageData(body, join(stage, String(staged++))) });
      }
      tree.applyLayer(members);
    }
    const write = (out: Writable): Promise<FlattenResult> => writeFlat(tree, out, progress, options.signal);
    return typeof options.output === 'string' ? await writeAtomically(options.output, write) : await write(options.output);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

async function writeFlat(tree: FlatTree<DataSource>, out: Writable, progress: ProgressCounter, signal?: AbortSignal): Promise<FlattenResult> {
  let entries = 0;
  async function* members() {
    for (const { entry, content } of tree.members()) yield content === undefined ? entry : { ...entry, source: content };
  }
  const tap = new DigestTap((length) => progress.addBytes(length));
  const written = (): void => {
    entries++;
    progress.item();
  };
  await pipeline(writeTar(members(), written, signal), tap, writeTo(out), signal === undefined ? {} : { signal });
  return { diffID: tap.digest, size: tap.size, entries };
}

function assertReadableFile(path: string): void {
  try {
    if (statSync(path).isFile()) return;
  } catch (err) {
    throw ioError('read layer', path, err);
  }
  throw new OverlaydiffError('E_USAGE', `${path}: layer is not a regular file`, { path });
}

// Copies one member's data to a staging file and returns its identity for the tar writer's checks.
async function stageData(body: AsyncIterable<Buffer>, path: string): Promise<DataSource> {
  await pipeline(body, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  const st = statSync(path, { bigint: true });
  return { absPath: Buffer.from(path), dev: st.dev, ino: st.ino };
}
