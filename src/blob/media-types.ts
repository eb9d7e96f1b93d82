// Layer media types, OCI and Docker spellings, and the compression each one names.
import type { Compression } from '../types.js';
import { MEDIA_TYPE_TAR, MEDIA_TYPE_TAR_GZIP, MEDIA_TYPE_TAR_ZSTD } from './compress.js';

export const DOCKER_MEDIA_TYPE_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
export const DOCKER_MEDIA_TYPE_TAR_GZIP = `${DOCKER_MEDIA_TYPE_TAR}.gzip`;
export const DOCKER_MEDIA_TYPE_TAR_ZSTD = `${DOCKER_MEDIA_TYPE_TAR}.zstd`;
const DOCKER_FOREIGN_TAR_GZIP = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
const OCI_NONDISTRIBUTABLE_TAR = 'application/vnd.oci.image.layer.nondistributable.v1.tar';

const LAYER_MEDIA_TYPES: ReadonlyMap<string, Compression> = new Map<string, Compression>([
  [MEDIA_TYPE_TAR, 'none'],
  [MEDIA_TYPE_TAR_GZIP, 'gzip'],
  [MEDIA_TYPE_TAR_ZSTD, 'zstd'],
  [DOCKER_MEDIA_TYPE_TAR, 'none'],
  [DOCKER_MEDIA_TYPE_TAR_GZIP, 'gzip'],
  [DOCKER_MEDIA_TYPE_TAR_ZSTD, 'zstd'],
]);

// Layers a registry must not redistribute; their bytes are ordinary layers (read-only: never written by diff).
const READ_ONLY_MEDIA_TYPES: ReadonlyMap<string, Compression> = new Map<string, Compression>([
  [DOCKER_FOREIGN_TAR_GZIP, 'gzip'],
  [OCI_NONDISTRIBUTABLE_TAR, 'none'],
  [`${OCI_NONDISTRIBUTABLE_TAR}+gzip`, 'gzip'],
  [`${OCI_NONDISTRIBUTABLE_TAR}+zstd`, 'zstd'],
]);

/** The compression a layer media type that diff can write names (OCI or Docker), or undefined. */
export function compressionOfMediaType(mediaType: string): Compression | undefined {
  return LAYER_MEDIA_TYPES.get(mediaType);
}

/** True for every layer media type a blob can be applied from (the written ones plus foreign/non-distributable). */
export function isApplicableMediaType(mediaType: string): boolean {
  return LAYER_MEDIA_TYPES.has(mediaType) || READ_ONLY_MEDIA_TYPES.has(mediaType);
}

/** imgcrypt's encrypted layers (`...+encrypted`): applying them needs a decryption stream processor. */
export function isEncryptedMediaType(mediaType: string): boolean {
  return mediaType.endsWith('+encrypted');
}

/** The media types diff writes, for messages. */
export const WRITABLE_MEDIA_TYPES: readonly string[] = [...LAYER_MEDIA_TYPES.keys()];
