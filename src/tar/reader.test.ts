import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OverlaydiffError } from '../errors.js';
import type { TarEntry } from '../types.js';
import { TAR_BLOCK_SIZE, encodeEntryHeaders, endOfArchive, paddingLength } from './header.js';
import { encodePaxRecords } from './pax.js';
import { readTar, type TarMember } from './reader.js';

const b = (text: string): Buffer => Buffer.from(text, 'utf8');

function entry(fields: Partial<TarEntry> & Pick<TarEntry, 'path'>): TarEntry {
  return { type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000n, size: 0n, devMajor: 0, devMinor: 0, xattrs: [], ...fields };
}

// An archive from our own writer's header encoder: each member with optional data.
function archive(members: readonly (readonly [TarEntry, Buffer?])[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const [e, data] of members) {
    parts.push(encodeEntryHeaders(e));
    if (data !== undefined) parts.push(data, Buffer.alloc(paddingLength(BigInt(data.length))));
  }
  if (end) parts.push(endOfArchive());
  return Buffer.concat(parts);
}

// Feeds the archive in small odd-sized chunks so every boundary case of the reader is crossed.
async function* chunked(data: Buffer, size = 97): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

interface Read {
  entry: TarMember['entry'];
  data: Buffer;
}

async function readAll(data: Buffer | AsyncIterable<Buffer>, consume = true): Promise<Read[]> {
  const out: Read[] = [];
  for await (const { entry: e, body } of readTar(Buffer.isBuffer(data) ? chunked(data) : data)) {
    const parts: Buffer[] = [];
    if (consume) for await (const chunk of body) parts.push(Buffer.from(chunk));
    out.push({ entry: e, data: Buffer.concat(parts) });
  }
  return out;
}

async function readError(data: Buffer): Promise<OverlaydiffError> {
  try {
    await readAll(data);
  } catch (err) {
    if (err instanceof OverlaydiffError) return err;
    throw err;
  }
  throw new Error('expected the read to fail');
}

// A header whose size field says `size` although its type has no data (Go: isHeaderOnlyType).
function withSizeField(header: Buffer, size: number): Buffer {
  const block = Buffer.from(header.subarray(0, TAR_BLOCK_SIZE));
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

describe('readTar framing, as Go archive/tar and Python tarfile', () => {
  for (const fields of [
    { type: 'dir' },
    { type: 'symlink', linkTarget: b('x') },
    { type: 'hardlink', linkTarget: b('x') },
    { type: 'fifo' },
    { type: 'char', devMajor: 1, devMinor: 3 },
  ] as const) {
    it(`shows a member hidden in the "data" of a ${fields.type} header with a non-zero size`, async () => {
      const hidden = archive([[entry({ path: b('etc/passwd'), size: 6n, mode: 0o4755 }), b('pwned\n')]], false);
      const header = withSizeField(encodeEntryHeaders(entry({ path: b('h'), ...fields })), hidden.length);
      const read = await readAll(Buffer.concat([header, hidden, endOfArchive()]));
      expect(read.map((r) => [r.entry.path.toString(), r.entry.type, r.entry.size])).toEqual([
        ['h', fields.type, 0n],
        ['etc/passwd', 'file', 6n],
      ]);
    });
  }

  it('treats a NUL-typed name ending in / as a directory, a 0-typed one as a file with data', async () => {
    const v7dir = Buffer.from(encodeEntryHeaders(entry({ path: b('d/'), type: 'dir' })));
    v7dir[156] = 0;
    const read = await readAll(Buffer.concat([withSizeField(v7dir, 0), archive([[entry({ path: b('f/'), size: 2n }), b('ab')]])]));
    expect(read.map((r) => [r.entry.path.toString(), r.entry.type, r.data.toString()])).toEqual([
      ['d', 'dir', ''],
      ['f', 'file', 'ab'],
    ]);
  });

  it('reports empty SCHILY.xattr records on their member (POSIX deletes them from the entry)', async () => {
    // Our encoder refuses empty values; this record is written by hand (28 bytes with its length).
    const pax = Buffer.concat([b('28 SCHILY.xattr.user.empty=\n'), encodePaxRecords([[b('SCHILY.xattr.user.full'), b('v')]])]);
    const paxHeader = encodeEntryHeaders(entry({ path: b('PaxHeaders/f'), size: BigInt(pax.length) }));
    paxHeader[156] = 'x'.charCodeAt(0);
    const fixed = withSizeField(paxHeader, pax.length);
    const tar = Buffer.concat([fixed, pax, Buffer.alloc(paddingLength(BigInt(pax.length))), archive([[entry({ path: b('f') })]])]);
    const members: TarMember[] = [];
    for await (const m of readTar(chunked(tar))) members.push(m);
    expect(members.map((m) => m.emptyXattrs)).toEqual([[b('user.empty')]]);
    expect(members[0]?.entry.xattrs).toEqual([{ name: b('user.full'), value: b('v') }]);
  });
});

describe('readTar on archives from our own encoder', () => {
  it('reads every member type with metadata, data and raw xattrs', async () => {
    const binary = Buffer.from([0x01, 0x00, 0xff, 0x0a, 0x80]);
    const data = b('hello\n');
    const tar = archive([
      [entry({ path: b('dir'), type: 'dir', mode: 0o755 })],
      [
        entry({
          path: b('dir/file'),
          size: BigInt(data.length),
          mode: 0o4755,
          uid: 3_000_000,
          gid: 42,
          xattrs: [{ name: b('security.capability'), value: binary }],
        }),
        data,
      ],
      [entry({ path: b('dir/hard'), type: 'hardlink', linkTarget: b('dir/file') })],
      [entry({ path: b('dir/sym'), type: 'symlink', linkTarget: Buffer.from([0x2e, 0xff, 0x2f]) })],
      [entry({ path: b('dev'), type: 'char', devMajor: 1, devMinor: 3 })],
      [entry({ path: b('blk'), type: 'block', devMajor: 4000, devMinor: 3_000_000 })],
      [entry({ path: b('fifo'), type: 'fifo', mtime: -5n })],
    ]);
    const read = await readAll(tar);
    expect(read.map((r) => r.entry.path.toString('latin1'))).toEqual(['dir', 'dir/file', 'dir/hard', 'dir/sym', 'dev', 'blk', 'fifo']);
    const file = read[1]!;
    expect(file.entry).toMatchObject({ type: 'file', mode: 0o4755, uid: 3_000_000, gid: 42, size: 6n, mtime: 1_700_000_000n });
    expect(file.entry.xattrs).toEqual([{ name: b('security.capability'), value: binary }]);
    expect(file.data).toEqual(data);
    expect(read[2]!.entry).toMatchObject({ type: 'hardlink', linkTarget: b('dir/file'), size: 0n });
    expect(read[3]!.entry.linkTarget).toEqual(Buffer.from([0x2e, 0xff, 0x2f]));
    expect(read[4]!.entry).toMatchObject({ type: 'char', devMajor: 1, devMinor: 3 });
    expect(read[5]!.entry).toMatchObject({ type: 'block', devMajor: 4000, devMinor: 3_000_000 });
    expect(read[6]!.entry.mtime).toBe(-5n);
  });

  it('reads long, non-UTF-8 names through PAX and skips bodies that are not consumed', async () => {
    const long = Buffer.concat([b('d'.repeat(150)), b('/'), Buffer.from([0xff, 0xfe]), b('f'.repeat(120))]);
    const big = Buffer.alloc(300_000, 7);
    const tar = archive([
      [entry({ path: long, size: BigInt(big.length) }), big],
      [entry({ path: b('after'), size: 1n }), b('x')],
    ]);
    const skipped = await readAll(tar, false);
    expect(skipped.map((r) => r.entry.path)).toEqual([long, b('after')]);
    const read = await readAll(tar);
    expect(read[0]!.data.equals(big)).toBe(true);
    expect(read[1]!.data).toEqual(b('x'));
  });

  it('reads the source to its end, past the end-of-archive blocks', async () => {
    const tar = Buffer.concat([archive([[entry({ path: b('a') })]]), Buffer.alloc(10_240)]);
    let delivered = 0;
    async function* counting(): AsyncGenerator<Buffer> {
      for await (const c of chunked(tar, 1000)) {
        delivered += c.length;
        yield c;
      }
    }
    expect((await readAll(counting())).length).toBe(1);
    expect(delivered).toBe(tar.length);
  });
});

describe('readTar on hostile or broken archives', () => {
  it('refuses a bad checksum', async () => {
    const tar = archive([[entry({ path: b('a') })]]);
    tar[0] = 0x62;
    const err = await readError(tar);
    expect(err.code).toBe('E_BAD_ARCHIVE');
    expect(err.message).toMatch(/checksum/);
  });

  it('refuses a PAX header above the size limit without buffering it', async () => {
    const tar = archive([[entry({ path: b('x'), xattrs: [{ name: b('user.big'), value: Buffer.alloc(2 << 20, 1) }] })]]);
    const err = await readError(tar);
    expect(err.code).toBe('E_BAD_ARCHIVE');
    expect(err.message).toMatch(/exceeds the 1048576-byte limit/);
  });

  it('refuses malformed PAX records, naming the member', async () => {
    const records = Buffer.from('99 path=x\n');
    const paxHeader = encodeEntryHeaders(entry({ path: b('victim'), xattrs: [{ name: b('user.a'), value: b('1') }] }));
    // Replace the well-formed record with a lying one of the same block layout.
    const good = encodePaxRecords([[b('SCHILY.xattr.user.a'), b('1')]]);
    const start = paxHeader.indexOf(good);
    records.copy(paxHeader, start);
    paxHeader.fill(0, start + records.length, start + good.length);
    // Fix the PAX member's size and checksum as a writer would have.
    const size = records.length;
    paxHeader.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    paxHeader.fill(' ', 148, 156, 'latin1');
    let sum = 0;
    for (let i = 0; i < TAR_BLOCK_SIZE; i++) sum += paxHeader[i]!;
    paxHeader.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const err = await readError(Buffer.concat([paxHeader, endOfArchive()]));
    expect(err.code).toBe('E_BAD_ARCHIVE');
    expect(err.message).toMatch(/malformed PAX record/);
  });

  it('refuses a truncated member', async () => {
    const tar = archive([[entry({ path: b('a'), size: 2000n }), Buffer.alloc(2000)]], false).subarray(0, 1200);
    const err = await readError(tar);
    expect(err.code).toBe('E_BAD_ARCHIVE');
    expect(err.message).toMatch(/^a: the archive is truncated/);
  });

  it('refuses unsupported member types and global headers with records other than comments', async () => {
    const block = encodeEntryHeaders(entry({ path: b('s') }));
    block[156] = 'S'.charCodeAt(0);
    block.fill(' ', 148, 156, 'latin1');
    let sum = 0;
    for (const byte of block) sum += byte;
    block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    expect((await readError(Buffer.concat([block, endOfArchive()]))).message).toMatch(/type "S" is not supported/);
  });
});

describe('readTar on archives from GNU tar and Python tarfile', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'overlaydiff-reader-'));
    const src = join(root, 'src');
    mkdirSync(join(src, 'd'.repeat(120)), { recursive: true });
    writeFileSync(join(src, 'd'.repeat(120), 'f'.repeat(110)), 'long\n');
    writeFileSync(join(src, 'plain'), 'p');
    symlinkSync('l'.repeat(150), join(src, 'longlink'));
    execFileSync('setfattr', ['-n', 'user.bin', '-v', '0x01000aff', join(src, 'plain')]);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(['gnu', 'posix'])('reads a GNU tar --format=%s archive with long names and xattrs', async (format) => {
    const out = join(root, `${format}.tar`);
    execFileSync('tar', ['--format', format, '--xattrs', '--xattrs-include=*', '-cf', out, '-C', join(root, 'src'), '.']);
    const read = await readAll(readFileSync(out));
    const byName = new Map(read.map((r) => [r.entry.path.toString('utf8'), r]));
    expect(byName.get('.')?.entry.type).toBe('dir');
    expect(byName.get(`./${'d'.repeat(120)}/${'f'.repeat(110)}`)?.data.toString()).toBe('long\n');
    expect(byName.get('./longlink')?.entry.linkTarget?.toString()).toBe('l'.repeat(150));
    const plain = byName.get('./plain');
    expect(plain?.data.toString()).toBe('p');
    if (format === 'posix') expect(plain?.entry.xattrs).toEqual([{ name: b('user.bin'), value: Buffer.from([1, 0, 0x0a, 0xff]) }]);
  });

  it('reads a Python tarfile PAX archive with binary xattr values and big ids', async () => {
    const out = join(root, 'py.tar');
    execFileSync('python3', [
      '-c',
      String.raw`
import io, sys, tarfile
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT, encoding='utf-8', errors='surrogateescape') as tf:
    t = tarfile.TarInfo('big\udcff')
    t.uid = 5000000; t.size = 3; t.mtime = 1.5
    t.pax_headers = {'SCHILY.xattr.user.x': 'a\x00b\udcff'}
    tf.addfile(t, io.BytesIO(b'abc'))
`,
      out,
    ]);
    const [read] = await readAll(readFileSync(out));
    expect(read?.entry).toMatchObject({ path: Buffer.from([0x62, 0x69, 0x67, 0xff]), uid: 5_000_000, mtime: 1n, size: 3n });
    expect(read?.entry.xattrs).toEqual([{ name: b('user.x'), value: Buffer.from([0x61, 0, 0x62, 0xff]) }]);
    expect(read?.data.toString()).toBe('abc');
  });
});
