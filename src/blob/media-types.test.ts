import { describe, expect, it } from 'vitest';
import { MEDIA_TYPE_TAR, MEDIA_TYPE_TAR_GZIP, MEDIA_TYPE_TAR_ZSTD } from './compress.js';
import { compressionOfMediaType, isApplicableMediaType, isEncryptedMediaType } from './media-types.js';

describe('layer media types', () => {
  it('names the compression of the OCI and Docker layer types', () => {
    expect(compressionOfMediaType(MEDIA_TYPE_TAR)).toBe('none');
    expect(compressionOfMediaType(MEDIA_TYPE_TAR_GZIP)).toBe('gzip');
    expect(compressionOfMediaType(MEDIA_TYPE_TAR_ZSTD)).toBe('zstd');
    expect(compressionOfMediaType('application/vnd.docker.image.rootfs.diff.tar')).toBe('none');
    expect(compressionOfMediaType('application/vnd.docker.image.rootfs.diff.tar.gzip')).toBe('gzip');
    expect(compressionOfMediaType('application/vnd.docker.image.rootfs.diff.tar.zstd')).toBe('zstd');
  });

  it('writes no foreign, non-distributable, encrypted or unknown type', () => {
    expect(compressionOfMediaType('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip')).toBeUndefined();
    expect(compressionOfMediaType(`${MEDIA_TYPE_TAR_GZIP}+encrypted`)).toBeUndefined();
    expect(compressionOfMediaType('application/octet-stream')).toBeUndefined();
  });

  it('applies foreign and non-distributable layers but not encrypted ones', () => {
    expect(isApplicableMediaType('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip')).toBe(true);
    expect(isApplicableMediaType('application/vnd.oci.image.layer.nondistributable.v1.tar+zstd')).toBe(true);
    expect(isApplicableMediaType(`${MEDIA_TYPE_TAR_GZIP}+encrypted`)).toBe(false);
    expect(isEncryptedMediaType(`${MEDIA_TYPE_TAR_GZIP}+encrypted`)).toBe(true);
    expect(isEncryptedMediaType(MEDIA_TYPE_TAR_GZIP)).toBe(false);
  });
});
