import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { layerTar, newLayerHashes } from './layer-stream.js';
import { OverlaydiffError } from '../errors.js';
import { DigestTap } from './digest.js';
import { MEDIA_TYPE_TAR, createCompressor, isCompression, mediaTypeFor, resolveCompressionLevel } from './compress.js';

// Compressible but not trivial: text-like runs mixed with random bytes, several MiB so zstd's
// worker threads cut more than one job.
function sample(size: number): Buffer {
  const out = Buffer.alloc(size);
  let offset = 0;
  let n = 0;
  while (offset < size) {
    const piece = n % 3 === 0 ? randomBytes(512) : Buffer.from(`line ${n} of a layer that compresses well\n`.repeat(20));
    offset += piece.copy(out, offset);
    n++;
  }
  return out;
}

async function compress(
  data: Buffer,
  compression: 'gzip' | 'zstd',
  level?: number,
  chunk = 65536,
): Promise<{ blob: Buffer; diffID: string; digest: string; size: number }> {
  const compressor = createCompressor(compression, level);
  if (compressor === undefined) throw new Error('expected a compressor');
  const chunks: Buffer[] = [];
  for (let o = 0; o < data.length; o += chunk) chunks.push(data.subarray(o, o + chunk));
  const diffTap = new DigestTap();
  const blobTap = new DigestTap();
  const parts: Buffer[] = [];
  await pipeline(Readable.from(chunks), diffTap, compressor, blobTap, async (source: AsyncIterable<Buffer>) => {
    for await (const c of source) parts.push(c);
  });
  return { blob: Buffer.concat(parts), diffID: diffTap.digest, digest: blobTap.digest, size: blobTap.size };
}

async function readLayer(blob: Buffer, split = 7): Promise<{ tar: Buffer; hashes: ReturnType<typeof newLayerHashes> }> {
  const hashes = newLayerHashes();
  // Tiny first chunks exercise the magic-byte detection across chunk boundaries.
  const chunks = [blob.subarray(0, split), blob.subarray(split, split + 1), blob.subarray(split + 1)];
  const parts: Buffer[] = [];
  for await (const c of layerTar(Readable.from(chunks), hashes)) parts.push(c);
  return { tar: Buffer.concat(parts), hashes };
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hasZstdCli = spawnSync('zstd', ['--version']).status === 0;

describe('media types and levels', () => {
  it('names the OCI layer media types', () => {
    expect(mediaTypeFor('none')).toBe(MEDIA_TYPE_TAR);
    expect(mediaTypeFor('gzip')).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(mediaTypeFor('zstd')).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    expect(isCompression('zstd')).toBe(true);
    expect(isCompression('xz')).toBe(false);
    expect(createCompressor('none')).toBeUndefined();
  });

  it('defaults and checks levels per algorithm', () => {
    expect(resolveCompressionLevel('gzip', undefined)).toBe(6);
    expect(resolveCompressionLevel('zstd', undefined)).toBe(3);
    expect(resolveCompressionLevel('zstd', 19)).toBe(19);
    expect(() => resolveCompressionLevel('gzip', 10)).toThrow(OverlaydiffError);
    expect(() => resolveCompressionLevel('zstd', 0)).toThrow(/zstd level 0: use 1 to 19/);
    expect(() => resolveCompressionLevel('zstd', 20)).toThrow(OverlaydiffError);
    expect(() => createCompressor('zstd', 2.5)).toThrow(OverlaydiffError);
  });
});

describe.each(['gzip', 'zstd'] as const)('%s', (compression) => {
  const data = sample(9 << 20);

  it('round-trips through layerTar with diffID and blob digest from the same pass', async () => {
    const { blob, diffID, digest, size } = await compress(data, compression);
    expect(diffID).toBe(sha256(data));
    expect(digest).toBe(sha256(blob));
    expect(size).toBe(blob.length);
    expect(blob.length).toBeLessThan(data.length);
    const { tar, hashes } = await readLayer(blob);
    expect(tar.equals(data)).toBe(true);
    expect(hashes.compression).toBe(compression);
    expect(`sha256:${hashes.tar.digest('hex')}`).toBe(diffID);
    expect(`sha256:${hashes.blob.digest('hex')}`).toBe(digest);
  });

  it('is deterministic whatever the input chunking', async () => {
    const a = await compress(data, compression, undefined, 65536);
    const b = await compress(data, compression, undefined, 1_000_003);
    expect(b.digest).toBe(a.digest);
  });

  it('is decompressible by the system tool', async (context) => {
    const { blob } = await compress(data, compression, compression === 'zstd' ? 19 : 9);
    if (compression === 'gzip') {
      expect(gunzipSync(blob).equals(data)).toBe(true);
      return;
    }
    if (!hasZstdCli) {
      console.log('skipped: the zstd CLI is not installed (Debian package "zstd")');
      context.skip();
    }
    const out = spawnSync('zstd', ['-d', '-c', '-q'], { input: blob, maxBuffer: 64 << 20 });
    expect(out.status).toBe(0);
    expect(out.stdout.equals(data)).toBe(true);
  });

  it('rejects a truncated blob with E_BAD_ARCHIVE', async () => {
    const { blob } = await compress(data, compression);
    await expect(readLayer(blob.subarray(0, blob.length - 100))).rejects.toMatchObject({ code: 'E_BAD_ARCHIVE' });
  });
});

describe('zstd from other tools', () => {
  it('reads concatenated frames as one tar', async () => {
    const a = sample(100_000);
    const b = sample(200_000);
    const [fa, fb] = await Promise.all([compress(a, 'zstd', 1), compress(b, 'zstd', 5)]);
    const { tar, hashes } = await readLayer(Buffer.concat([fa.blob, fb.blob]), 2);
    expect(tar.equals(Buffer.concat([a, b]))).toBe(true);
    expect(hashes.compression).toBe('zstd');
  });

  it('reads what the zstd CLI writes', async (context) => {
    if (!hasZstdCli) {
      console.log('skipped: the zstd CLI is not installed (Debian package "zstd")');
      context.skip();
    }
    const data = sample(3 << 20);
    const out = spawnSync('zstd', ['-q', '-c', '-T0', '-19'], { input: data, maxBuffer: 64 << 20 });
    expect(out.status).toBe(0);
    const { tar } = await readLayer(out.stdout);
    expect(tar.equals(data)).toBe(true);
  });
});
