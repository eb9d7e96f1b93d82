// Resolves a tag of an OCI image layout to its image manifest and config.
import { OverlaydiffError } from '../errors.js';
import { assertLayout, loadJsonBlob, readIndex } from './layout-fs.js';
import { isImageConfig, isManifest, isManifestMediaType, refNameOf, type ImageConfig, type OciDescriptor, type OciManifest } from './oci-types.js';

export interface TaggedImage {
  /** The index.json entry of the tag. */
  readonly descriptor: OciDescriptor;
  readonly manifest: OciManifest;
  readonly config: ImageConfig;
}

/**
 * The image `tag` names in the layout (the last index entry with that ref name, as a later write
 * replaces an earlier one). `role` names the tag in messages (`--base`, `--tag`). Throws
 * E_NOT_FOUND when the tag is absent, E_USAGE when it names an image index (multi-platform), and
 * E_BAD_ARCHIVE when the manifest or config blob is missing or does not match its digest.
 */
export function readTaggedImage(layout: string, tag: string, role: string): TaggedImage {
  assertLayout(layout);
  const descriptor = readIndex(layout)
    .manifests.filter((m) => refNameOf(m) === tag)
    .at(-1);
  if (descriptor === undefined) throw new OverlaydiffError('E_NOT_FOUND', `${layout}: no image tagged ${JSON.stringify(tag)} (${role})`, { path: layout });
  if (!isManifestMediaType(descriptor.mediaType)) {
    throw new OverlaydiffError(
      'E_USAGE',
      `${layout}: ${tag} is a ${descriptor.mediaType}, not an image manifest; multi-platform images are not supported (${role})`,
      { path: layout },
    );
  }
  const manifest = loadJsonBlob(layout, descriptor);
  if (manifest.kind !== 'ok' || !isManifest(manifest.value)) throw badBlob(layout, descriptor.digest, 'image manifest');
  const configDescriptor = manifest.value.config;
  const config = loadJsonBlob(layout, configDescriptor);
  if (config.kind !== 'ok' || !isImageConfig(config.value)) throw badBlob(layout, configDescriptor.digest, 'image config');
  return { descriptor, manifest: manifest.value, config: config.value };
}

function badBlob(layout: string, digest: string, what: string): OverlaydiffError {
  return new OverlaydiffError('E_BAD_ARCHIVE', `${layout}: blob ${digest} is missing or not a valid ${what}; run overlaydiff fsck`, { path: layout });
}
