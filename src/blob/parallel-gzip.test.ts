import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GZIP_BLOCK_SIZE, createParallelGzip as createWithEngine, defaultGzipEngine, type GzipEngine } from './parallel-gzip.js';

// Small blocks make every boundary case cheap; one below the 32 KiB window exercises short dictionaries.
const SMALL_BLOCK = 64 << 10;
const TINY_BLOCK = 1000;

function compressible(size: number): Buffer {
  const out = Buffer.alloc(size);
  let offset = 0;
  for (let n = 0; offset < size; n++) {
    const piece = n % 5 === 0 ? randomBytes(300) : Buffer.from(`${n}: a line of a config file, key = value ${n % 17}\n`.repeat(8));
    offset += piece.copy(out, offset);
  }
  return out;
}

// Splits `data` into writes whose sizes cycle through `sizes`.
function chunked(data: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

async function compress(chunks: Buffer[], transform: Transform): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(Readable.from(chunks), transform, async (source: AsyncIterable<Buffer>) => {
    for await (const part of source) parts.push(part);
  });
  return Buffer.concat(parts);
}

// Reads the blob as exactly one gzip member: header, one deflate stream, trailer, nothing after it.
async function parseOneMember(blob: Buffer): Promise<{ data: Buffer; crc: number; size: number; trailing: number }> {
  expect(blob.subarray(0, 4)).toEqual(Buffer.from([0x1f, 0x8b, 8, 0]));
  // Raw inflate stops at the deflate stream's final block; bytesWritten is how much input that took.
  const inflate = createInflateRaw();
  const data = await compress([blob.subarray(10)], inflate);
  const trailer = 10 + inflate.bytesWritten;
  return {
    data,
    crc: blob.readUInt32LE(trailer),
    size: blob.readUInt32LE(trailer + 4),
    trailing: blob.length - (trailer + 8),
  };
}

const hasGzipCli = spawnSync('gzip', ['--version']).status === 0;

// Both engines where this build has libdeflate (make build links it when libdeflate-dev is installed).
const ENGINES: GzipEngine[] = defaultGzipEngine() === 'libdeflate' ? ['libdeflate', 'zlib'] : ['zlib'];

describe('the gzip engine', () => {
  it('is libdeflate when the addon was built with it, else zlib', () => {
    expect(ENGINES).toContain(defaultGzipEngine());
  });

  it.runIf(ENGINES.includes('libdeflate'))('libdeflate and zlib make different, equally valid members of the same data', async () => {
    const data = compressible(3 * SMALL_BLOCK + 5);
    const viaLibdeflate = await compress([data], createWithEngine(6, SMALL_BLOCK, 'libdeflate'));
    const viaZlib = await compress([data], createWithEngine(6, SMALL_BLOCK, 'zlib'));
    expect(viaLibdeflate.equals(viaZlib)).toBe(false);
    for (const blob of [viaLibdeflate, viaZlib]) {
      const member = await parseOneMember(blob);
      expect(member.data.equals(data)).toBe(true);
      expect(member.trailing).toBe(0);
    }
  });
});

describe.each(ENGINES)('createParallelGzip with %s', (engine) => {
  const createParallelGzip = (level: number, blockSize = GZIP_BLOCK_SIZE): Transform => createWithEngine(level, blockSize, engine);
  // libdeflate deflates each block without the previous block as dictionary (1% is the goal against pigz).
  const sizeTolerance = engine === 'zlib' ? 0.001 : 0.01;

  describe.each([
    { blockSize: SMALL_BLOCK, label: '64 KiB blocks' },
    { blockSize: TINY_BLOCK, label: 'blocks smaller than the window' },
    { blockSize: GZIP_BLOCK_SIZE, label: 'the production block size' },
  ])('with $label', ({ blockSize }) => {
    const sizes = [0, 1, blockSize - 1, blockSize, blockSize + 1, 3 * blockSize, 3 * blockSize + 17];
    it.each(sizes)('round-trips %i bytes of random and compressible data as one member', async (size) => {
      for (const data of [randomBytes(size), compressible(size)]) {
        const blob = await compress(chunked(data, [65536]), createParallelGzip(6, blockSize));
        expect(gunzipSync(blob).equals(data)).toBe(true);
        const member = await parseOneMember(blob);
        expect(member.data.equals(data)).toBe(true);
        expect(member.crc).toBe(crc32(data));
        expect(member.size).toBe(size);
        expect(member.trailing).toBe(0);
      }
    });
  });

  it('gives the same bytes whether the input comes in tiny writes or one write', async () => {
    const data = compressible(5 * SMALL_BLOCK + 123);
    const whole = await compress([data], createParallelGzip(6, SMALL_BLOCK));
    const tiny = await compress(chunked(data, [1, 7, 3, 250, 4093]), createParallelGzip(6, SMALL_BLOCK));
    const aligned = await compress(chunked(data, [SMALL_BLOCK]), createParallelGzip(6, SMALL_BLOCK));
    expect(tiny.equals(whole)).toBe(true);
    expect(aligned.equals(whole)).toBe(true);
  });

  it('gives the same bytes for any chunking at the production block size', async () => {
    const data = compressible(2 * GZIP_BLOCK_SIZE + 5);
    const a = await compress(chunked(data, [65536]), createParallelGzip(1));
    const b = await compress(chunked(data, [1_000_003, 17]), createParallelGzip(1));
    expect(b.equals(a)).toBe(true);
  });

  it('gives the same bytes on two runs with the same settings', async () => {
    const data = Buffer.concat([compressible(GZIP_BLOCK_SIZE + 999), randomBytes(GZIP_BLOCK_SIZE), compressible(GZIP_BLOCK_SIZE)]);
    const first = await compress(chunked(data, [GZIP_BLOCK_SIZE]), createParallelGzip(6));
    const second = await compress(chunked(data, [4096, 1 << 20, 77]), createParallelGzip(6));
    expect(second.equals(first)).toBe(true);
    expect(gunzipSync(first).equals(data)).toBe(true);
  });

  it.each([1, 6, 9])('writes the header zlib writes at level %i (mtime 0, no name, Unix)', async (level) => {
    const blob = await compress([Buffer.from('x')], createParallelGzip(level));
    expect(blob.subarray(0, 10).equals(gzipSync('x', { level }).subarray(0, 10))).toBe(true);
  });

  it('stays close to single-stream gzip on compressible data (zlib 0.1%, libdeflate 1%)', async () => {
    const data = compressible(3 * GZIP_BLOCK_SIZE);
    const blob = await compress(chunked(data, [65536]), createParallelGzip(6));
    const single = gzipSync(data, { level: 6 });
    expect(Math.abs(blob.length - single.length) / single.length).toBeLessThan(sizeTolerance);
  });

  it('passes gzip -t', async (context) => {
    if (!hasGzipCli) {
      console.log('skipped: gzip is not installed');
      context.skip();
    }
    const data = compressible(3 * SMALL_BLOCK + 1);
    const blob = await compress([data], createParallelGzip(6, SMALL_BLOCK));
    const test = spawnSync('gzip', ['-t'], { input: blob });
    expect(test.stderr.toString()).toBe('');
    expect(test.status).toBe(0);
    const out = spawnSync('gzip', ['-dc'], { input: blob, maxBuffer: 64 << 20 });
    expect(out.stdout.equals(data)).toBe(true);
  });

  it('stops deflating while nobody reads (bounded memory)', async () => {
    const gzip = createParallelGzip(1, SMALL_BLOCK);
    // Random data: every block's output is about one block, so buffered output counts blocks.
    for (let i = 0; i < 200; i++) gzip.write(randomBytes(SMALL_BLOCK));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(gzip.readableLength).toBeLessThan(10 * SMALL_BLOCK);
    expect(gzip.writableLength).toBeGreaterThan(150 * SMALL_BLOCK);
    gzip.destroy();
  });

  it('rejects the pipeline with the source error and destroys itself', async () => {
    const gzip = createParallelGzip(6, SMALL_BLOCK);
    async function* failing(): AsyncGenerator<Buffer> {
      yield compressible(4 * SMALL_BLOCK);
      throw new Error('tar failed');
    }
    await expect(
      pipeline(failing(), gzip, async (source: AsyncIterable<Buffer>) => {
        for await (const _ of source);
      }),
    ).rejects.toThrow('tar failed');
    expect(gzip.destroyed).toBe(true);
  });

  it('emits nothing once destroyed while blocks are still deflating', async () => {
    const gzip = createParallelGzip(9, SMALL_BLOCK);
    let dataAfterDestroy = 0;
    let ended = false;
    gzip.on('data', () => {
      if (gzip.destroyed) dataAfterDestroy++;
    });
    gzip.on('end', () => {
      ended = true;
    });
    const errored = once(gzip, 'error');
    for (let i = 0; i < 8; i++) gzip.write(compressible(SMALL_BLOCK));
    gzip.end();
    gzip.destroy(new Error('consumer gone'));
    const [error] = await errored;
    expect(error).toMatchObject({ message: 'consumer gone' });
    // Longer than the in-flight deflate calls take, so their callbacks have all run.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(dataAfterDestroy).toBe(0);
    expect(ended).toBe(false);
  });
});
