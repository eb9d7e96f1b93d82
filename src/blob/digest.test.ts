import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DigestTap } from './digest.js';

async function run(chunks: Buffer[]): Promise<{ tap: DigestTap; out: Buffer }> {
  const tap = new DigestTap();
  const parts: Buffer[] = [];
  await pipeline(Readable.from(chunks), tap, async (source: AsyncIterable<Buffer>) => {
    for await (const part of source) parts.push(part);
  });
  return { tap, out: Buffer.concat(parts) };
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

describe('DigestTap', () => {
  it('hashes a small stream (on the calling thread) and passes it through', async () => {
    const data = randomBytes(100_000);
    const { tap, out } = await run([data.subarray(0, 3), data.subarray(3)]);
    expect(out.equals(data)).toBe(true);
    expect(tap.digest).toBe(sha256(data));
    expect(tap.size).toBe(data.length);
  });

  it('hashes the empty stream', async () => {
    const { tap } = await run([]);
    expect(tap.digest).toBe(sha256(Buffer.alloc(0)));
    expect(tap.size).toBe(0);
  });

  it('hashes a stream larger than its ring (on the worker) in any chunking, in order', async () => {
    const data = randomBytes(13 << 20);
    const sizes = [1, 1 << 20, 3 << 20, 65_537, 9 << 20, 7];
    const chunks: Buffer[] = [];
    for (let offset = 0, i = 0; offset < data.length; i++) {
      const size = sizes[i % sizes.length]!;
      chunks.push(data.subarray(offset, offset + size));
      offset += size;
    }
    const { tap, out } = await run(chunks);
    expect(out.equals(data)).toBe(true);
    expect(tap.digest).toBe(sha256(data));
  });

  it('fails the pipeline with the source error and stops its worker', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield randomBytes(6 << 20);
      yield randomBytes(6 << 20);
      throw new Error('tar failed');
    }
    const tap = new DigestTap();
    await expect(
      pipeline(failing(), tap, async (source: AsyncIterable<Buffer>) => {
        for await (const _ of source);
      }),
    ).rejects.toThrow('tar failed');
    expect(tap.destroyed).toBe(true);
    expect(() => tap.digest).toThrow('before the stream ended');
  });
});
