// `fsck`: re-hashes every blob and checks every reference, size and each image's diffIDs.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { layerTar, newLayerHashes } from '../blob/layer-stream.js';
import { OverlaydiffError, abortable, errnoCode, ioError, throwIfAborted } from '../errors.js';
import { ProgressCounter, type ProgressListener } from '../progress.js';
import { IMAGE_LAYOUT_VERSION, isImageConfig, isManifest, isManifestMediaType, refNameOf, type OciDescriptor } from './oci-types.js';
import { SHA256_DIR, assertLayout, blobPath, listBlobs, loadJsonBlob, readIndex, readJson, sizeOf } from './layout-fs.js';
import { markReachable } from './mark.js';
import { isValidRefName } from './ref-name.js';

/** What `fsck` found. */
export interface FsckResult {
  /** True when no error was found (warnings do not count). */
  readonly ok: boolean;
  /** Blobs in `blobs/sha256`. */
  readonly blobs: number;
  /** Blobs reachable from index.json. */
  readonly referenced: number;
  /** Blobs nothing reachable references (GC reclaims them after the grace period). */
  readonly unreferenced: number;
  /** Temporary files of writers in `blobs/`. */
  readonly temps: number;
  /** What makes the layout wrong, one sentence each, naming the blob or file. */
  readonly errors: string[];
  /** What is questionable or could not be checked (a ref name breaking the grammar, a zstd layer without a zstd backend). */
  readonly warnings: string[];
}

/** Which layout `fsck` checks, and how it reports. */
export interface FsckOptions {
  /** The OCI image layout directory. */
  layout: string;
  /** Told the blobs checked and the bytes hashed so far. Default: none. */
  onProgress?: ProgressListener;
  /** Stops between blobs: `fsck` rejects with E_ABORTED. Default: none. */
  signal?: AbortSignal;
}

/**
 * Checks the layout read-only: `oci-layout` version; every blob's content against its name; every
 * reachable descriptor's blob exists with the descriptor's size; each image manifest's layers
 * decompress to tars whose sha256 equal `config.rootfs.diff_ids` in order. Tags that break the
 * ref-name grammar are warnings. Blobs that vanish during the check (a concurrent GC) are skipped.
 * Rejects with E_NOT_FOUND when `layout` is not a layout, E_ABORTED when `signal` fires.
 */
export async function fsck(options: FsckOptions): Promise<FsckResult> {
  return abortable(options.signal, () => checkLayout(options));
}

async function checkLayout(options: FsckOptions): Promise<FsckResult> {
  const { layout, signal } = options;
  const progress = new ProgressCounter(options.onProgress);
  assertLayout(layout);
  const errors: string[] = [];
  const warnings: string[] = [];
  const marker = readJson(join(layout, 'oci-layout'));
  if (typeof marker !== 'object' || marker === null || (marker as Record<string, unknown>)['imageLayoutVersion'] !== IMAGE_LAYOUT_VERSION) {
    errors.push(`oci-layout: imageLayoutVersion is not ${IMAGE_LAYOUT_VERSION}`);
  }
  const index = readIndex(layout);
  for (const entry of index.manifests) {
    const ref = refNameOf(entry);
    if (ref !== undefined && !isValidRefName(ref)) warnings.push(`index.json: ref name ${JSON.stringify(ref)} breaks the image-spec grammar`);
  }
  const roots = [...index.manifests, ...(index.subject === undefined ? [] : [index.subject])];
  const mark = markReachable(roots, (d) => loadJsonBlob(layout, d));
  for (const d of mark.missing) errors.push(`${d}: referenced but missing`);
  for (const i of mark.invalid) errors.push(`${i.digest}: ${i.reason}`);

  // Layers whose diffID is computed while re-hashing them (one pass per blob).
  const layers = new Set<string>();
  for (const d of mark.reachable.values()) if (isLayerMediaType(d.mediaType)) layers.add(d.digest);
  const diffIDs = new Map<string, string>();
  const { blobs, temps } = listBlobs(layout);
  for (const { hex } of blobs) {
    throwIfAborted(signal);
    const digest = `sha256:${hex}`;
    const hashed = await hashBlob(join(layout, SHA256_DIR, hex), layers.has(digest), progress, errors, warnings);
    progress.item();
    if (hashed === undefined) continue;
    if (hashed.digest !== digest) errors.push(`${digest}: content hashes to ${hashed.digest}`);
    if (hashed.diffID !== undefined) diffIDs.set(digest, hashed.diffID);
  }
  for (const d of mark.reachable.values()) {
    const size = sizeOf(blobPath(layout, d.digest));
    if (size === undefined) {
      if (!mark.missing.includes(d.digest)) errors.push(`${d.digest}: referenced (${d.mediaType}) but missing`);
    } else if (size !== d.size) errors.push(`${d.digest}: size ${size}, descriptor says ${d.size}`);
  }
  for (const d of mark.reachable.values()) {
    if (isManifestMediaType(d.mediaType)) checkImage(layout, d, diffIDs, errors);
  }
  const referenced = new Set(mark.reachable.keys());
  return {
    ok: errors.length === 0,
    blobs: blobs.length,
    referenced: referenced.size,
    unreferenced: blobs.filter((b) => !referenced.has(`sha256:${b.hex}`)).length,
    temps: temps.length,
    errors,
    warnings,
  };
}

function checkImage(layout: string, d: OciDescriptor, diffIDs: ReadonlyMap<string, string>, errors: string[]): void {
  const manifest = loadJsonBlob(layout, d);
  if (manifest.kind !== 'ok' || !isManifest(manifest.value)) return; // reported by the mark
  const config = loadJsonBlob(layout, manifest.value.config);
  if (config.kind !== 'ok') return;
  if (!isImageConfig(config.value)) {
    // Not an image (an artifact manifest): no diffIDs to compare.
    return;
  }
  const expected = config.value.rootfs.diff_ids;
  const layers = manifest.value.layers;
  if (expected.length !== layers.length) {
    errors.push(`${d.digest}: ${layers.length} layers but ${expected.length} rootfs.diff_ids in config ${manifest.value.config.digest}`);
    return;
  }
  layers.forEach((layer, i) => {
    const actual = diffIDs.get(layer.digest);
    if (actual !== undefined && actual !== expected[i])
      errors.push(`${d.digest}: layer ${i} (${layer.digest}) has diffID ${actual}, config says ${expected[i]}`);
  });
}

async function hashBlob(
  path: string,
  isLayer: boolean,
  progress: ProgressCounter,
  errors: string[],
  warnings: string[],
): Promise<{ digest: string; diffID?: string } | undefined> {
  try {
    if (isLayer) {
      const hashes = newLayerHashes();
      try {
        for await (const chunk of layerTar(progress.countBytes(createReadStream(path)), hashes)) void chunk;
        return { digest: `sha256:${hashes.blob.digest('hex')}`, diffID: `sha256:${hashes.tar.digest('hex')}` };
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') throw err;
        const message = err instanceof Error ? err.message : String(err);
        (isCheckGap(err) ? warnings : errors).push(`${path}: diffID not checked: ${message}`);
      }
    }
    const hash = createHash('sha256');
    for await (const chunk of progress.countBytes(createReadStream(path))) hash.update(chunk);
    return { digest: `sha256:${hash.digest('hex')}` };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw ioError('read blob', path, err);
  }
}

/** A layer this installation cannot decompress (E_UNAVAILABLE) is a gap in the check, not a broken layout. */
export function isCheckGap(err: unknown): boolean {
  return err instanceof OverlaydiffError && err.code === 'E_UNAVAILABLE';
}

function isLayerMediaType(mediaType: string): boolean {
  return mediaType.startsWith('application/vnd.oci.image.layer.') || mediaType.startsWith('application/vnd.docker.image.rootfs.');
}
