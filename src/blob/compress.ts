// The compressor stage for a layer blob, and the media type it produces.
import { createGzip, constants as zlib } from 'node:zlib';
import type { Transform } from 'node:stream';
import { OverlaydiffError } from '../errors.js';
import type { Compression } from '../types.js';

export const MEDIA_TYPE_TAR = 'application/vnd.oci.image.layer.v1.tar';

const MEDIA_TYPES: Record<Compression, string> = {
  none: MEDIA_TYPE_TAR,
  gzip: `${MEDIA_TYPE_TAR}+gzip`,
};

export function isCompression(value: unknown): value is Compression {
  return typeof value === 'string' && Object.hasOwn(MEDIA_TYPES, value);
}

export function mediaTypeFor(compression: Compression): string {
  return MEDIA_TYPES[compression];
}

/**
 * A compressing Transform, or undefined for 'none'. gzip output is deterministic for a given
 * zlib version: the header has mtime 0 and no file name, so the blob digest only changes with zlib.
 */
export function createCompressor(compression: Compression, level = 6): Transform | undefined {
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw new OverlaydiffError('E_USAGE', `invalid compression level ${level}: use 1 to 9`);
  }
  switch (compression) {
    case 'none':
      return undefined;
    case 'gzip':
      return createGzip({ level, chunkSize: 1 << 20, strategy: zlib.Z_DEFAULT_STRATEGY });
  }
}
