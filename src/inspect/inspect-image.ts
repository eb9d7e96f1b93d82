// Inspects every layer of a tagged image in an OCI image layout, each linted against the layers below it.
import { FlatTree, type LayerMember } from '../layer/flat-tree.js';
import { blobPath } from '../store/layout-fs.js';
import { readTaggedImage } from '../store/read-image.js';
import { DEFAULT_TAG } from '../store/ref-name.js';
import type { Compression, TarEntry } from '../types.js';
import { abortable } from '../errors.js';
import { ProgressCounter, type ProgressListener } from '../progress.js';
import { inspectBlob, type InspectEntry, type InspectResult } from './inspect.js';

/** Which image `inspectImage` reads, and what it does with it. */
export interface InspectImageOptions {
  /** The OCI image layout directory. */
  layout: string;
  /** The ref name of the image. Default: 'latest'. */
  tag?: string;
  /** Lint each layer; the layers below it are its lowers (whiteout-absent, opaque-no-lower). Default: false. */
  lint?: boolean;
  /** Called with every member of every layer (bottom layer 0 first), in archive order. Default: none. */
  onEntry?: (layer: number, entry: InspectEntry) => void;
  /** Told the members and blob bytes read so far, over all layers. Default: none. */
  onProgress?: ProgressListener;
  /** Stops between members: `inspectImage` rejects with E_ABORTED. Default: none. */
  signal?: AbortSignal;
}

/** One layer of the image: its descriptor, what reading it found, and how it disagrees with the image. */
export interface InspectedLayer extends InspectResult {
  /** Position in the manifest, bottom layer 0. */
  readonly layer: number;
  /** The media type the manifest gives the layer. */
  readonly mediaType: string;
  /**
   * Where the blob contradicts the manifest or config: digest, media type (compression) or
   * diffID mismatches. Any of these makes the image unusable, with or without lint.
   */
  readonly mismatches: readonly string[];
}

/** What `inspectImage` read: each layer of the image, bottom first. */
export interface InspectImageResult {
  /** The ref name inspected. */
  readonly tag: string;
  /** The digest of the image manifest. */
  readonly manifest: string;
  /** Each layer, bottom first. */
  readonly layers: readonly InspectedLayer[];
}

/**
 * Streams each layer of the image `tag` names, bottom first, calling `options.onEntry` for every member.
 * With `lint`, layer N is checked against the tree layers 0..N-1 build (kept in memory as paths
 * and metadata, never file data). Throws E_NOT_FOUND for a missing tag or layer blob,
 * E_BAD_ARCHIVE for an unreadable manifest, config or layer, E_ABORTED when `signal` fires.
 */
export async function inspectImage(options: InspectImageOptions): Promise<InspectImageResult> {
  return abortable(options.signal, () => inspectLayers(options));
}

async function inspectLayers(options: InspectImageOptions): Promise<InspectImageResult> {
  const tag = options.tag ?? DEFAULT_TAG;
  const lint = options.lint ?? false;
  const onEntry = options.onEntry ?? (() => {});
  const progress = new ProgressCounter(options.onProgress);
  const image = readTaggedImage(options.layout, tag, 'option `tag`');
  const below = new FlatTree<undefined>();
  const layers: InspectedLayer[] = [];
  for (const [layer, descriptor] of image.manifest.layers.entries()) {
    const members: LayerMember<undefined>[] = [];
    const result = await inspectBlob(
      blobPath(options.layout, descriptor.digest),
      {
        lint,
        lowers: lint ? (path) => below.kindAt(path) : undefined,
        signal: options.signal,
        progress,
        ...(lint ? { onMember: (entry: TarEntry) => members.push({ entry }) } : {}),
      },
      (entry) => onEntry(layer, entry),
    );
    if (lint) below.applyLayer(members);
    const diffID = image.config.rootfs.diff_ids[layer];
    const mismatches = [
      ...(result.digest === descriptor.digest ? [] : [`blob digest is ${result.digest}, the manifest says ${descriptor.digest}`]),
      ...(compressionOf(descriptor.mediaType) === result.compression
        ? []
        : [`blob is ${result.compression === 'none' ? 'an uncompressed tar' : result.compression}, the manifest says ${descriptor.mediaType}`]),
      ...(result.diffID === diffID
        ? []
        : [`diffID is ${result.diffID}, the config says ${diffID ?? 'nothing (rootfs.diff_ids is shorter than the layer list)'}`]),
    ];
    layers.push({ ...result, layer, mediaType: descriptor.mediaType, mismatches });
  }
  return { tag, manifest: image.descriptor.digest, layers };
}

// OCI layer media types and the Docker ones a copied image may carry, by compression.
const LAYER_MEDIA_TYPES: Record<string, Compression> = {
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': 'zstd',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.diff.tar.zstd': 'zstd',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'gzip',
};

function compressionOf(mediaType: string): Compression | undefined {
  return Object.hasOwn(LAYER_MEDIA_TYPES, mediaType) ? LAYER_MEDIA_TYPES[mediaType] : undefined;
}
