// Which zstd the package uses: zstd-napi when it loads, node:zlib's on a Node that has it, else a clear error.
import { createRequire } from 'node:module';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { selectZstdBackend } from './zstd.js';

const missing = (): never => {
  throw Object.assign(new Error("Cannot find module 'zstd-napi'\nRequire stack: ..."), { code: 'MODULE_NOT_FOUND' });
};

async function roundTrip(backend: ReturnType<typeof selectZstdBackend>, data: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const compressed: Buffer[] = [];
  await pipeline(Readable.from([data]), backend.compressor(3), async (source: AsyncIterable<Buffer>) => {
    for await (const c of source) compressed.push(c);
  });
  for await (const c of backend.decompress(Readable.from(compressed))) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('selectZstdBackend', () => {
  it('uses zstd-napi when it is installed', async () => {
    const backend = selectZstdBackend({ loadNapi: () => createRequire(import.meta.url)('zstd-napi'), zlib: {} });
    expect(backend.name).toBe('zstd-napi');
    const data = Buffer.from('layer bytes '.repeat(1000));
    expect(await roundTrip(backend, data)).toEqual(data);
  });

  it("prefers node:zlib's zstd where Node has it, even with zstd-napi installed", () => {
    const zlib = {
      createZstdCompress: () => Readable.from([]),
      createZstdDecompress: () => new PassThrough(),
      constants: { ZSTD_c_compressionLevel: 100, ZSTD_c_checksumFlag: 201 },
    };
    expect(selectZstdBackend({ loadNapi: () => createRequire(import.meta.url)('zstd-napi'), zlib }).name).toBe('node:zlib');
  });

  it("uses node:zlib's zstd when zstd-napi is missing and Node has it", async () => {
    const made: string[] = [];
    const zlib = {
      createZstdCompress: (o: { params: Record<number, number> }) => (made.push(`compress ${JSON.stringify(o.params)}`), Readable.from([])),
      createZstdDecompress: () => (made.push('decompress'), new PassThrough()),
      constants: { ZSTD_c_compressionLevel: 100, ZSTD_c_checksumFlag: 201 },
    };
    const backend = selectZstdBackend({ loadNapi: missing, zlib });
    expect(backend.name).toBe('node:zlib');
    backend.compressor(7);
    await backend.decompress(Readable.from([])).next();
    expect(made).toEqual(['compress {"100":7,"201":1}', 'decompress']);
  });

  it('says what is missing and how to fix it when neither exists', () => {
    expect(() => selectZstdBackend({ loadNapi: missing, zlib: {} })).toThrow(
      /^zstd is not available: the optional dependency zstd-napi did not load \(Cannot find module 'zstd-napi'\) and Node v[\d.]+ has no built-in zstd \(Node >= 22\.15 has\)\. .*npm install zstd-napi.*or use gzip$/,
    );
    expect(() => selectZstdBackend({ loadNapi: missing, zlib: {} })).toThrow(expect.objectContaining({ code: 'E_UNAVAILABLE' }));
  });
});
