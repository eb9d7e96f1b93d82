// diff → layout: stores the layer, an image config and a manifest as blobs, then publishes a tag in index.json.
import { checkXattrNamespace } from '../classify/namespace.js';
import { diff } from '../diff/diff.js';
import { resolveSnapshotDirs, snapshotTrees } from '../diff/options.js';
import { assertOutsideTrees } from '../fsio/output-target.js';
import { assertXattrNamespaceAccess } from '../fsio/xattr-access.js';
import { OverlaydiffError, abortable } from '../errors.js';
import type { DiffOptions, DiffResult } from '../types.js';
import { exists, blobPath, ensureIndex, ensureLayout, readIndexOrEmpty, storeBlob, storeBytes, writeIndex } from './layout-fs.js';
import { withLayoutLock } from './lock.js';
import { MEDIA_TYPE_CONFIG, MEDIA_TYPE_MANIFEST, REF_NAME_ANNOTATION, refNameOf, type ImageConfig, type OciDescriptor, type OciManifest } from './oci-types.js';
import { readTaggedImage } from './read-image.js';
import { DEFAULT_TAG, isValidRefName } from './ref-name.js';
import { crashPoint, pauseBeforeIndex } from './fault-points.js';

/** What `diffToLayout` diffs (as `diff`) and where in the layout it stores the image. */
export interface LayoutDiffOptions extends Omit<DiffOptions, 'output'> {
  /** The OCI image layout directory; created (oci-layout, index.json, blobs/sha256) when absent. */
  layout: string;
  /** The ref name (`org.opencontainers.image.ref.name`) to publish; replaces an entry of the same name. Default: 'latest'. */
  tag?: string;
  /** A tag in the same layout whose image the new layer is stacked on. Default: none (a one-layer image). */
  base?: string;
}

/** What `diffToLayout` stored and published. */
export interface LayoutDiffResult {
  /** The layer as `diff` returns it: its descriptor (as the manifest lists it), diffID and stats. */
  readonly layer: DiffResult;
  /** The ref name published in index.json. */
  readonly tag: string;
  /** The index.json entry: the image manifest's descriptor with its ref name annotation. */
  readonly manifest: OciDescriptor;
  /** The image config's descriptor. */
  readonly config: OciDescriptor;
}

/**
 * Diffs the snapshot into the layout as a new image (or a new top layer on `base`). Order, so a
 * crash at any point leaves a valid layout: layer blob, config, manifest (each temp + fsync +
 * rename), then under the layout lock a check that everything referenced exists and the atomic
 * index.json update. Blobs stored before a crash are unreferenced and reclaimed by GC after its
 * grace period. Rejects as `diff` does, and with E_ABORTED when `signal` fires (before the index
 * update, nothing is published).
 */
export async function diffToLayout(options: LayoutDiffOptions): Promise<LayoutDiffResult> {
  return abortable(options.signal, () => storeImage(options));
}

async function storeImage(options: LayoutDiffOptions): Promise<LayoutDiffResult> {
  const { layout, tag = DEFAULT_TAG, base, ...diffOptions } = options;
  checkRefName('tag', tag);
  if (base !== undefined) checkRefName('base', base);
  assertXattrNamespaceAccess(checkXattrNamespace(options.xattrNamespace), 'diff');
  assertOutsideTrees(layout, snapshotTrees(resolveSnapshotDirs(diffOptions)), 'image layout');
  ensureLayout(layout);
  await withLayoutLock(layout, async () => ensureIndex(layout), options.signal);
  const baseImage = base === undefined ? undefined : readTaggedImage(layout, base, 'option `base`');

  const layer = await storeBlob(
    layout,
    (out) => diff({ ...diffOptions, output: out }),
    (d) => d.descriptor.digest,
    'layer-temp-written',
  );
  crashPoint('layer-stored');
  const created = createdTime(options.sourceDateEpoch);
  const config = imageConfig(baseImage?.config, layer.diffID, created);
  const configDescriptor: OciDescriptor = { mediaType: MEDIA_TYPE_CONFIG, ...(await storeBytes(layout, canonicalJson(config))) };
  crashPoint('config-stored');
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_MANIFEST,
    config: configDescriptor,
    layers: [...(baseImage?.manifest.layers ?? []), { ...layer.descriptor }],
  };
  const manifestDescriptor: OciDescriptor = { mediaType: MEDIA_TYPE_MANIFEST, ...(await storeBytes(layout, canonicalJson(manifest))) };
  crashPoint('manifest-stored');
  await pauseBeforeIndex();

  const entry: OciDescriptor = { ...manifestDescriptor, annotations: { [REF_NAME_ANNOTATION]: tag } };
  await withLayoutLock(
    layout,
    async () => {
      // Under the lock GC cannot run: whatever exists now stays until the index references it.
      for (const d of [configDescriptor, ...manifest.layers, manifestDescriptor]) {
        if (!exists(blobPath(layout, d.digest))) {
          throw new OverlaydiffError(
            'E_NOT_FOUND',
            `${layout}: blob ${d.digest} vanished before the index was updated (a GC with a grace period shorter than this write?); nothing was published`,
            {
              path: layout,
            },
          );
        }
      }
      const index = readIndexOrEmpty(layout);
      writeIndex(layout, { ...index, manifests: [...index.manifests.filter((m) => refNameOf(m) !== tag), entry] }, 'index-temp-written');
      crashPoint('index-written');
    },
    options.signal,
  );
  return { layer, tag, manifest: entry, config: configDescriptor };
}

function checkRefName(what: string, name: string): void {
  if (!isValidRefName(name)) {
    throw new OverlaydiffError(
      'E_USAGE',
      `invalid ${what} ${JSON.stringify(name)}: a ref name is components of letters and digits joined by one of - . _ : @ + or --, separated by /`,
    );
  }
}

/** The config of the image: the base's with the layer appended, or a new one for this host's platform. */
export function imageConfig(base: ImageConfig | undefined, diffID: string, created: string): ImageConfig {
  const history = { created, created_by: 'overlaydiff diff' };
  if (base === undefined) {
    return { created, architecture: hostArchitecture(), os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffID] }, history: [history] };
  }
  return { ...base, created, rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, diffID] }, history: [...(base.history ?? []), history] };
}

/** RFC 3339 time: SOURCE_DATE_EPOCH when given (reproducible images), else now. */
export function createdTime(sourceDateEpoch: number | undefined): string {
  return new Date(sourceDateEpoch === undefined ? Date.now() : sourceDateEpoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

// Node's process.arch → the GOARCH names the image spec uses.
const GOARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  ia32: '386',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

function hostArchitecture(): string {
  return GOARCH[process.arch] ?? process.arch;
}

function canonicalJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}
