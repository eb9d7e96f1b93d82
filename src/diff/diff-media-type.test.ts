import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diff } from './diff.js';

let root: string;
let upper: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-media-type-'));
  upper = join(root, 'upper');
  mkdirSync(upper);
  writeFileSync(join(upper, 'f'), 'data');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('diff mediaType and annotations options', () => {
  it('compresses as a Docker media type names and reports that type', async () => {
    const docker = await diff({ upper, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', output: join(root, 'd.tgz') });
    const oci = await diff({ upper, compression: 'gzip', output: join(root, 'o.tgz') });
    expect(docker.descriptor.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    expect(oci.descriptor.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(docker.descriptor.digest).toBe(oci.descriptor.digest);
    expect(docker.diffID).toBe(oci.diffID);
  });

  it('refuses a media type it cannot write and one that contradicts the compression', async () => {
    const output = join(root, 'never-written.tar');
    await expect(diff({ upper, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted', output })).rejects.toThrow(
      /unsupported layer media type "application\/vnd.oci.image.layer.v1.tar\+gzip\+encrypted"/,
    );
    await expect(diff({ upper, mediaType: 'application/vnd.oci.image.layer.v1.tar', compression: 'zstd', output })).rejects.toThrow(
      /compression zstd contradicts media type application\/vnd.oci.image.layer.v1.tar, which is uncompressed/,
    );
  });

  it('adds the caller annotations and keeps containerd.io/uncompressed the diffID', async () => {
    const d = await diff({ upper, annotations: { 'org.example/a': 'b', 'containerd.io/uncompressed': 'wrong' }, output: join(root, 'a.tar') });
    expect(d.descriptor.annotations).toEqual({ 'org.example/a': 'b', 'containerd.io/uncompressed': d.diffID });
  });
});
