import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OverlaydiffError } from '../errors.js';
import type { TarEntry } from '../types.js';
import { TAR_BLOCK_SIZE, encodeEntryHeaders, endOfArchive, paddingLength } from './header.js';
import { encodePaxRecords } from './pax.js';

const EIGHT_GIB = 8n ** 11n;
const MAX_OCTAL_ID = 0o7777777;
const MAX_DEVICE_NUMBER = 2 ** 31 - 1;

function entry(fields: Partial<TarEntry> & Pick<TarEntry, 'path'>): TarEntry {
  return { type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000n, size: 0n, devMajor: 0, devMinor: 0, xattrs: [], ...fields };
}

const b = (text: string): Buffer => Buffer.from(text, 'utf8');

// ustar field offsets, written out independently of the encoder's table (POSIX pax, ustar).
const USTAR = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const;

function field(block: Buffer, name: keyof typeof USTAR): Buffer {
  const [offset, size] = USTAR[name];
  return block.subarray(offset, offset + size);
}

function octal(block: Buffer, name: keyof typeof USTAR): bigint {
  const text = field(block, name).toString('latin1');
  expect(text, `${name} is zero-padded octal then NUL`).toMatch(/^[0-7]+\0$/);
  return BigInt(`0o${text.slice(0, -1)}`);
}

// Splits encodeEntryHeaders output into the PAX data (if any) and the member's ustar header.
function splitHeaders(headers: Buffer): { pax: Buffer | undefined; paxHeader: Buffer | undefined; header: Buffer } {
  expect(headers.length % TAR_BLOCK_SIZE).toBe(0);
  const first = headers.subarray(0, TAR_BLOCK_SIZE);
  if (field(first, 'typeflag').toString('latin1') !== 'x') {
    expect(headers.length).toBe(TAR_BLOCK_SIZE);
    return { pax: undefined, paxHeader: undefined, header: first };
  }
  const size = Number(octal(first, 'size'));
  const dataBlocks = Math.ceil(size / TAR_BLOCK_SIZE);
  expect(headers.length).toBe((dataBlocks + 2) * TAR_BLOCK_SIZE);
  const padding = headers.subarray(TAR_BLOCK_SIZE + size, (dataBlocks + 1) * TAR_BLOCK_SIZE);
  expect(padding.every((byte) => byte === 0)).toBe(true);
  return { pax: headers.subarray(TAR_BLOCK_SIZE, TAR_BLOCK_SIZE + size), paxHeader: first, header: headers.subarray(-TAR_BLOCK_SIZE) };
}

function records(...pairs: [string, Buffer | string][]): Buffer {
  return encodePaxRecords(pairs.map(([key, value]) => [b(key), Buffer.isBuffer(value) ? value : b(value)] as const));
}

function unsignedChecksum(block: Buffer): number {
  let sum = 0;
  block.forEach((byte, i) => {
    sum += i >= 148 && i < 156 ? 0x20 : byte;
  });
  return sum;
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('paddingLength and endOfArchive', () => {
  it('pads data to whole 512-byte blocks', () => {
    expect([0n, 1n, 511n, 512n, 513n, EIGHT_GIB + 1n].map(paddingLength)).toEqual([0, 511, 1, 0, 511, 511]);
  });

  it('ends an archive with two zero blocks', () => {
    const end = endOfArchive();
    expect(end.length).toBe(2 * TAR_BLOCK_SIZE);
    expect(end.every((byte) => byte === 0)).toBe(true);
  });
});

describe('encodeEntryHeaders: the ustar header', () => {
  it('writes a short ASCII file as one ustar block with zero-padded octal fields', () => {
    const headers = encodeEntryHeaders(entry({ path: b('etc/hosts'), mode: 0o100644, uid: 1000, gid: 100, size: 1234n, mtime: 1_700_000_000n }));
    expect(headers.length).toBe(TAR_BLOCK_SIZE);
    expect(field(headers, 'name').toString('latin1')).toBe('etc/hosts'.padEnd(100, '\0'));
    expect(field(headers, 'mode').toString('latin1')).toBe('0000644\0');
    expect(field(headers, 'uid').toString('latin1')).toBe('0001750\0');
    expect(field(headers, 'gid').toString('latin1')).toBe('0000144\0');
    expect(field(headers, 'size').toString('latin1')).toBe('00000002322\0');
    expect(octal(headers, 'mtime')).toBe(1_700_000_000n);
    expect(field(headers, 'typeflag').toString('latin1')).toBe('0');
    expect(field(headers, 'magic').toString('latin1')).toBe('ustar\0');
    expect(field(headers, 'version').toString('latin1')).toBe('00');
    for (const empty of ['linkname', 'uname', 'gname', 'prefix'] as const) {
      expect(
        field(headers, empty).every((byte) => byte === 0),
        `${empty} is empty`,
      ).toBe(true);
    }
    expect(headers.subarray(500).every((byte) => byte === 0)).toBe(true);
  });

  it('writes the checksum as the unsigned byte sum, 6 octal digits, NUL, space', () => {
    // A base-256 device number puts bytes >= 0x80 in the block, where signed and unsigned sums differ.
    for (const e of [
      entry({ path: b('a') }),
      entry({ path: b('dev/odd'), type: 'char', devMajor: MAX_DEVICE_NUMBER, devMinor: MAX_DEVICE_NUMBER }),
      entry({ path: b('x'.repeat(200)), uid: 3_000_000, xattrs: [{ name: b('user.a'), value: Buffer.from([0xff]) }] }),
    ]) {
      const { paxHeader, header } = splitHeaders(encodeEntryHeaders(e));
      for (const block of paxHeader === undefined ? [header] : [paxHeader, header]) {
        const chksum = field(block, 'chksum').toString('latin1');
        expect(chksum).toMatch(/^[0-7]{6}\0 $/);
        expect(Number.parseInt(chksum.slice(0, 6), 8)).toBe(unsignedChecksum(block));
      }
    }
  });

  it.each([
    ['file', '0'],
    ['hardlink', '1'],
    ['symlink', '2'],
    ['char', '3'],
    ['block', '4'],
    ['dir', '5'],
    ['fifo', '6'],
  ] as const)('uses typeflag %s → %s', (type, flag) => {
    const linkTarget = type === 'symlink' || type === 'hardlink' ? { linkTarget: b('t') } : {};
    const headers = encodeEntryHeaders(entry({ path: b('m'), type, ...linkTarget }));
    expect(field(headers, 'typeflag').toString('latin1')).toBe(flag);
  });

  it('appends "/" to a directory name and writes size 0', () => {
    const headers = encodeEntryHeaders(entry({ path: b('usr/lib'), type: 'dir', mode: 0o40755 }));
    expect(field(headers, 'name').subarray(0, 9).toString('latin1')).toBe('usr/lib/\0');
    expect(octal(headers, 'size')).toBe(0n);
    expect(field(headers, 'mode').toString('latin1')).toBe('0000755\0');
  });

  it('keeps setuid, setgid and sticky bits and drops file-type bits from mode', () => {
    expect(field(encodeEntryHeaders(entry({ path: b('s'), mode: 0o107755 })), 'mode').toString('latin1')).toBe('0007755\0');
  });

  it('writes size 0 for a hardlink even when the entry carries the file size', () => {
    const headers = encodeEntryHeaders(entry({ path: b('b'), type: 'hardlink', size: 99n, linkTarget: b('a') }));
    expect(octal(headers, 'size')).toBe(0n);
    expect(field(headers, 'linkname').subarray(0, 2).toString('latin1')).toBe('a\0');
  });

  it('writes device numbers in octal for char and block devices, and 0 for other types', () => {
    const dev = encodeEntryHeaders(entry({ path: b('dev/sda1'), type: 'block', devMajor: 8, devMinor: 1 }));
    expect(field(dev, 'devmajor').toString('latin1')).toBe('0000010\0');
    expect(field(dev, 'devminor').toString('latin1')).toBe('0000001\0');
    const file = encodeEntryHeaders(entry({ path: b('f'), devMajor: 8, devMinor: 1 }));
    expect(octal(file, 'devmajor')).toBe(0n);
  });

  it('writes device numbers beyond 7 octal digits in GNU base-256', () => {
    const headers = encodeEntryHeaders(entry({ path: b('dev/big'), type: 'char', devMajor: MAX_OCTAL_ID + 1, devMinor: MAX_DEVICE_NUMBER }));
    expect(field(headers, 'devmajor')).toEqual(Buffer.from([0x80, 0, 0, 0, 0, 0x20, 0, 0]));
    expect(field(headers, 'devminor')).toEqual(Buffer.from([0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]));
    const largestOctal = encodeEntryHeaders(entry({ path: b('dev/max'), type: 'char', devMajor: MAX_OCTAL_ID }));
    expect(field(largestOctal, 'devmajor').toString('latin1')).toBe('7777777\0');
  });

  it('encodes the same entry to the same bytes every time', () => {
    const make = (): TarEntry =>
      entry({ path: Buffer.from([0x61, 0xff, 0x2f, 0x62]), uid: 5_000_000, mtime: -5n, xattrs: [{ name: b('user.k'), value: Buffer.from([0, 10]) }] });
    expect(encodeEntryHeaders(make()).equals(encodeEntryHeaders(make()))).toBe(true);
  });
});

describe('encodeEntryHeaders: PAX records', () => {
  it('uses no PAX header for a 100-byte ASCII name and a PAX path for 101 bytes', () => {
    const at100 = splitHeaders(encodeEntryHeaders(entry({ path: b('n'.repeat(100)) })));
    expect(at100.pax).toBeUndefined();
    expect(field(at100.header, 'name').toString('latin1')).toBe('n'.repeat(100));
    const at101 = splitHeaders(encodeEntryHeaders(entry({ path: b('n'.repeat(101)) })));
    expect(at101.pax).toEqual(records(['path', 'n'.repeat(101)]));
    expect(field(at101.header, 'name').toString('latin1')).toBe('n'.repeat(100));
  });

  it('moves a 100-byte directory name to PAX once "/" makes it 101 bytes', () => {
    const { pax } = splitHeaders(encodeEntryHeaders(entry({ path: b('d'.repeat(100)), type: 'dir' })));
    expect(pax).toEqual(records(['path', `${'d'.repeat(100)}/`]));
  });

  it('uses a PAX path for a short non-ASCII UTF-8 name, with an ASCII stand-in in the ustar field', () => {
    const { pax, header } = splitHeaders(encodeEntryHeaders(entry({ path: b('café') })));
    expect(pax).toEqual(records(['path', 'café']));
    expect(field(header, 'name').subarray(0, 7).toString('latin1')).toBe('caf__\0\0');
  });

  it('adds hdrcharset=BINARY first and keeps raw bytes for a non-UTF-8 name', () => {
    const name = Buffer.from([0x64, 0x2f, 0xff, 0xfe]);
    const { pax } = splitHeaders(encodeEntryHeaders(entry({ path: name })));
    expect(pax).toEqual(records(['hdrcharset', 'BINARY'], ['path', name]));
  });

  it('adds hdrcharset=BINARY for a non-UTF-8 symlink target under an ASCII name', () => {
    const target = Buffer.from([0x2e, 0x2e, 0x2f, 0xc3, 0x28]);
    const { pax, header } = splitHeaders(encodeEntryHeaders(entry({ path: b('l'), type: 'symlink', linkTarget: target })));
    expect(pax).toEqual(records(['hdrcharset', 'BINARY'], ['linkpath', target]));
    expect(field(header, 'name').subarray(0, 2).toString('latin1')).toBe('l\0');
  });

  it('uses a PAX linkpath for a link target over 100 bytes', () => {
    const target = `../${'t'.repeat(200)}`;
    const { pax, header } = splitHeaders(encodeEntryHeaders(entry({ path: b('l'), type: 'symlink', linkTarget: b(target) })));
    expect(pax).toEqual(records(['linkpath', target]));
    expect(field(header, 'linkname').toString('latin1')).toBe(target.slice(0, 100));
  });

  it('moves uid and gid over 2097151 to PAX and writes 0 in their fields', () => {
    const fits = splitHeaders(encodeEntryHeaders(entry({ path: b('f'), uid: MAX_OCTAL_ID, gid: MAX_OCTAL_ID })));
    expect(fits.pax).toBeUndefined();
    expect(field(fits.header, 'uid').toString('latin1')).toBe('7777777\0');
    const big = splitHeaders(encodeEntryHeaders(entry({ path: b('f'), uid: MAX_OCTAL_ID + 1, gid: 3_000_000 })));
    expect(big.pax).toEqual(records(['uid', String(MAX_OCTAL_ID + 1)], ['gid', '3000000']));
    expect(octal(big.header, 'uid')).toBe(0n);
    expect(octal(big.header, 'gid')).toBe(0n);
  });

  it('moves a size from 8 GiB to PAX and writes 0 in the size field', () => {
    const fits = splitHeaders(encodeEntryHeaders(entry({ path: b('f'), size: EIGHT_GIB - 1n })));
    expect(fits.pax).toBeUndefined();
    expect(field(fits.header, 'size').toString('latin1')).toBe('77777777777\0');
    const big = splitHeaders(encodeEntryHeaders(entry({ path: b('f'), size: EIGHT_GIB })));
    expect(big.pax).toEqual(records(['size', '8589934592']));
    expect(octal(big.header, 'size')).toBe(0n);
  });

  it.each([
    ['negative', -1n, '-1'],
    ['at 8^11', EIGHT_GIB, '8589934592'],
    ['far in the future', 253_402_300_800n, '253402300800'],
  ])('moves a %s mtime to PAX and writes 0 in the mtime field', (_, mtime, text) => {
    const { pax, header } = splitHeaders(encodeEntryHeaders(entry({ path: b('f'), mtime })));
    expect(pax).toEqual(records(['mtime', text]));
    expect(octal(header, 'mtime')).toBe(0n);
  });

  it('keeps mtimes 0 and 8^11 - 1 in the ustar field', () => {
    for (const mtime of [0n, EIGHT_GIB - 1n]) {
      const { pax, header } = splitHeaders(encodeEntryHeaders(entry({ path: b('f'), mtime })));
      expect(pax).toBeUndefined();
      expect(octal(header, 'mtime')).toBe(mtime);
    }
  });

  it('stores each xattr as SCHILY.xattr.<name> with its raw value, in the given order', () => {
    const capability = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x00, 0xff, 0x0a]);
    const { pax } = splitHeaders(
      encodeEntryHeaders(
        entry({
          path: b('bin/ping'),
          xattrs: [
            { name: b('security.capability'), value: capability },
            { name: b('user.a'), value: b('=x') },
          ],
        }),
      ),
    );
    expect(pax).toEqual(records(['SCHILY.xattr.security.capability', capability], ['SCHILY.xattr.user.a', '=x']));
  });

  it('orders records hdrcharset, path, linkpath, size, uid, gid, mtime, then xattrs', () => {
    const name = Buffer.concat([b('x'.repeat(120)), Buffer.from([0xff])]);
    const target = b('y'.repeat(150));
    const { pax } = splitHeaders(
      encodeEntryHeaders(
        entry({
          path: name,
          type: 'hardlink',
          linkTarget: target,
          uid: 4_000_000,
          gid: 5_000_000,
          mtime: -10n,
          xattrs: [
            { name: b('user.z'), value: b('1') },
            { name: b('trusted.a'), value: b('2') },
          ],
        }),
      ),
    );
    expect(pax).toEqual(
      records(
        ['hdrcharset', 'BINARY'],
        ['path', name],
        ['linkpath', target],
        ['uid', '4000000'],
        ['gid', '5000000'],
        ['mtime', '-10'],
        ['SCHILY.xattr.user.z', '1'],
        ['SCHILY.xattr.trusted.a', '2'],
      ),
    );
    const fileWithBigSize = splitHeaders(encodeEntryHeaders(entry({ path: name, size: EIGHT_GIB, uid: 4_000_000 })));
    expect(fileWithBigSize.pax).toEqual(records(['hdrcharset', 'BINARY'], ['path', name], ['size', '8589934592'], ['uid', '4000000']));
  });

  it('writes the PAX member as ././@PaxHeader, mode 644, owner 0, mtime 0, typeflag x, padded to a block', () => {
    const headers = encodeEntryHeaders(entry({ path: b('p'.repeat(150)), mtime: 123n, uid: 7, gid: 8 }));
    const { paxHeader, pax } = splitHeaders(headers);
    if (paxHeader === undefined || pax === undefined) throw new Error('expected a PAX header');
    expect(field(paxHeader, 'name').subarray(0, 15).toString('latin1')).toBe('././@PaxHeader\0');
    expect(field(paxHeader, 'mode').toString('latin1')).toBe('0000644\0');
    expect([octal(paxHeader, 'uid'), octal(paxHeader, 'gid'), octal(paxHeader, 'mtime')]).toEqual([0n, 0n, 0n]);
    expect(octal(paxHeader, 'size')).toBe(BigInt(pax.length));
    expect(field(paxHeader, 'magic').toString('latin1')).toBe('ustar\0');
  });
});

describe('encodeEntryHeaders: refusals', () => {
  it.each([
    ['an xattr name holding "="', entry({ path: b('f'), xattrs: [{ name: b('user.a=b'), value: b('v') }] }), /'='/],
    ['an empty xattr value', entry({ path: b('f'), xattrs: [{ name: b('user.a'), value: Buffer.alloc(0) }] }), /empty value/],
    ['an empty name', entry({ path: Buffer.alloc(0) }), /name is empty/],
    ['a name holding NUL', entry({ path: Buffer.from('a\0b', 'latin1') }), /NUL/],
    ['a symlink without a target', entry({ path: b('l'), type: 'symlink' }), /needs a link target/],
    ['a file with a link target', entry({ path: b('f'), linkTarget: b('t') }), /only links have a link target/],
    ['a negative uid', entry({ path: b('f'), uid: -1 }), /uid -1/],
    ['a fractional gid', entry({ path: b('f'), gid: 1.5 }), /gid 1.5/],
    ['a negative size', entry({ path: b('f'), size: -1n }), /size -1/],
    ['a device minor GNU tar cannot read', entry({ path: b('c'), type: 'char', devMinor: MAX_DEVICE_NUMBER + 1 }), /GNU tar/],
  ])('refuses %s with E_UNREPRESENTABLE naming the path', (_, e, message) => {
    const err = caught(() => encodeEntryHeaders(e));
    expect(err).toBeInstanceOf(OverlaydiffError);
    expect(err).toMatchObject({ code: 'E_UNREPRESENTABLE' });
    expect(err).toHaveProperty('message', expect.stringMatching(message));
  });
});

// Interop: archives written with this encoder, read back by real readers (Python's tarfile and
// GNU tar). A missing reader skips these tests locally and fails them when CI=true.
const HAS_PYTHON = spawnSync('python3', ['--version']).status === 0;
const HAS_GNU_TAR = spawnSync('tar', ['--version'], { encoding: 'utf8' }).stdout?.includes('GNU tar') === true;
const SKIP_PYTHON = !HAS_PYTHON && process.env['CI'] !== 'true';
const SKIP_GNU_TAR = !HAS_GNU_TAR && process.env['CI'] !== 'true';
if (SKIP_PYTHON) console.warn('header.test.ts: python3 not found, skipping the tarfile interop tests');
if (SKIP_GNU_TAR) console.warn('header.test.ts: GNU tar not found, skipping the GNU tar interop tests');

// Prints every member as JSON, byte strings as hex: names decoded with surrogateescape and
// re-encoded the same way give back the exact bytes. With "first" it reads only the first
// member's headers (for a header without its data). The trailing {"end"} is where Python
// stopped: it ends an archive silently at a bad header, so the offset proves it read them all.
const PYTHON_READER = `
import json, sys, tarfile
def h(s):
    return s.encode('utf-8', 'surrogateescape').hex()
def describe(m, tf, data):
    return {
        'name': h(m.name), 'linkname': h(m.linkname), 'type': m.type.decode('ascii'),
        'mode': m.mode, 'uid': m.uid, 'gid': m.gid, 'size': m.size, 'mtime': m.mtime,
        'devmajor': m.devmajor, 'devminor': m.devminor, 'uname': m.uname, 'gname': m.gname,
        'pax': {h(k): h(v) for k, v in m.pax_headers.items()},
        'data': tf.extractfile(m).read().hex() if data and m.isreg() else None,
    }
with tarfile.open(sys.argv[1], mode='r:', encoding='utf-8', errors='surrogateescape') as tf:
    if sys.argv[2] == 'first':
        out = [describe(tf.next(), tf, False)]
    else:
        out = [describe(m, tf, True) for m in tf]
    print(json.dumps({'members': out, 'end': tf.offset}))
`;

interface PythonMember {
  name: string;
  linkname: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  devmajor: number;
  devminor: number;
  uname: string;
  gname: string;
  pax: Record<string, string>;
  data: string | null;
}

function isPythonListing(value: unknown): value is { members: PythonMember[]; end: number } {
  return typeof value === 'object' && value !== null && 'members' in value && Array.isArray(value.members) && 'end' in value;
}

function readWithPython(path: string, which: 'all' | 'first'): { members: PythonMember[]; end: number } {
  const listing: unknown = JSON.parse(execFileSync('python3', ['-c', PYTHON_READER, path, which], { encoding: 'utf8' }));
  if (!isPythonListing(listing)) throw new Error('unexpected Python output');
  return listing;
}

// GNU tar 1.34 does not implement hdrcharset: it warns and uses the raw bytes, which is what
// BINARY asks for. Exit status stays 0. Every other diagnostic is a failure.
const GNU_TAR_HDRCHARSET_WARNING = "tar: Ignoring unknown extended header keyword 'hdrcharset'";

function listWithGnuTar(path: string): { status: number | null; lines: string[]; warnings: string[] } {
  const run = spawnSync('tar', ['--xattrs', '--xattrs-include=*', '-tvvf', path], {
    encoding: 'latin1',
    env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' },
  });
  return { status: run.status, lines: run.stdout.split('\n').filter(Boolean), warnings: run.stderr.split('\n').filter(Boolean) };
}

interface Member {
  readonly entry: TarEntry;
  readonly data?: Buffer;
}

function writeArchive(members: readonly Member[]): Buffer {
  const parts: Buffer[] = [];
  for (const { entry: e, data = Buffer.alloc(0) } of members) {
    expect(BigInt(data.length)).toBe(e.type === 'file' ? e.size : 0n);
    parts.push(encodeEntryHeaders(e), data, Buffer.alloc(paddingLength(BigInt(data.length))));
  }
  parts.push(endOfArchive());
  return Buffer.concat(parts);
}

const hex = (bytes: Buffer): string => bytes.toString('hex');

const LONG_NAME = b(`d/${'a'.repeat(148)}`); // 150 bytes
const FULL_NAME = b(`d/${'f'.repeat(98)}`); // exactly fills the ustar field, no NUL
const FULL_TARGET = b(`./${'g'.repeat(98)}`);
const LONG_DATA = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) % 256)); // spans two blocks
const NON_UTF8_NAME = Buffer.from([0x64, 0x2f, 0xff, 0xfe]); // "d/\xff\xfe"
const UTF8_NAME = b('d/héllo-日本');
const LONG_TARGET = b(`../${'t'.repeat(297)}`); // 300 bytes
const NON_UTF8_TARGET = Buffer.from([0x2e, 0x2e, 0x2f, 0xc3, 0x28]);
const LONG_DIR = b(`d/${'L'.repeat(120)}`);
const BIG_ID = 3_000_000;
// A VFS_CAP_REVISION_2 security.capability value: NUL and newline bytes in the middle.
const CAPABILITY = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x0a, 0x00, 0xff, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0]);
const NON_UTF8_XATTR = Buffer.from([0x75, 0x73, 0x65, 0x72, 0x2e, 0xff]); // "user.\xff"
const FUTURE = EIGHT_GIB + 1n;
const PAST = -86_400n;

const INTEROP_MEMBERS: readonly Member[] = [
  { entry: entry({ path: b('d'), type: 'dir', mode: 0o755 }) },
  { entry: entry({ path: LONG_NAME, size: BigInt(LONG_DATA.length) }), data: LONG_DATA },
  { entry: entry({ path: NON_UTF8_NAME, size: 1n }), data: b('x') },
  { entry: entry({ path: FULL_NAME, type: 'symlink', mode: 0o777, linkTarget: FULL_TARGET }) },
  { entry: entry({ path: UTF8_NAME, size: 2n }), data: b('hi') },
  { entry: entry({ path: b('d/long-link'), type: 'symlink', mode: 0o777, linkTarget: LONG_TARGET }) },
  { entry: entry({ path: b('d/bad-link'), type: 'symlink', mode: 0o777, linkTarget: NON_UTF8_TARGET }) },
  {
    entry: entry({
      path: b('d/ping'),
      mode: 0o755,
      uid: BIG_ID,
      gid: BIG_ID,
      size: 3n,
      xattrs: [
        { name: b('security.capability'), value: CAPABILITY },
        { name: NON_UTF8_XATTR, value: b('v') },
      ],
    }),
    data: b('elf'),
  },
  { entry: entry({ path: b('d/hard'), type: 'hardlink', linkTarget: LONG_NAME }) },
  { entry: entry({ path: b('d/chr'), type: 'char', devMajor: BIG_ID, devMinor: MAX_DEVICE_NUMBER }) },
  { entry: entry({ path: b('d/blk'), type: 'block', mode: 0o660, devMajor: 8, devMinor: 1 }) },
  { entry: entry({ path: b('d/fifo'), type: 'fifo' }) },
  { entry: entry({ path: b('d/future'), mtime: FUTURE }) },
  { entry: entry({ path: b('d/past'), mtime: PAST }) },
  { entry: entry({ path: LONG_DIR, type: 'dir', mode: 0o755 }) },
];

const interopArchive = writeArchive(INTEROP_MEMBERS);
let workDir = '';
let interopPath = '';
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'overlaydiff-header-'));
  interopPath = join(workDir, 'interop.tar');
  writeFileSync(interopPath, interopArchive);
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

// Runs a reader once, on first use inside a test (after beforeAll wrote the archive).
function once<T>(read: () => T): () => T {
  let result: { value: T } | undefined;
  return () => (result ??= { value: read() }).value;
}

describe.skipIf(SKIP_PYTHON)('interop: Python tarfile reads the encoder output', () => {
  const listing = once(() => readWithPython(interopPath, 'all'));
  const byName = (name: Buffer): PythonMember => {
    const member = listing().members.find((m) => m.name === hex(name));
    if (member === undefined) throw new Error(`Python did not list ${displayName(name)}`);
    return member;
  };

  it('lists every member, in order, up to the end-of-archive blocks', () => {
    // Python strips the trailing '/' of directory names; the PAX path keeps it (checked below).
    expect(listing().members.map((m) => m.name)).toEqual(INTEROP_MEMBERS.map(({ entry: e }) => hex(e.path)));
    expect(listing().end).toBe(interopArchive.length - endOfArchive().length);
  });

  it('reads a 150-byte name and its two-block data', () => {
    const member = byName(LONG_NAME);
    expect(member).toMatchObject({ type: '0', size: 1000, data: hex(LONG_DATA), uname: '', gname: '' });
    expect(member.pax).toEqual({ [hex(b('path'))]: hex(LONG_NAME) });
  });

  it('reads a 100-byte name and a 100-byte link target from ustar fields without a NUL', () => {
    expect(byName(FULL_NAME)).toMatchObject({ type: '2', linkname: hex(FULL_TARGET), pax: {} });
  });

  it('reads a non-UTF-8 name byte for byte, flagged hdrcharset=BINARY', () => {
    const member = byName(NON_UTF8_NAME);
    expect(member.data).toBe(hex(b('x')));
    expect(member.pax[hex(b('hdrcharset'))]).toBe(hex(b('BINARY')));
  });

  it('reads a non-ASCII UTF-8 name without hdrcharset', () => {
    expect(byName(UTF8_NAME).pax).toEqual({ [hex(b('path'))]: hex(UTF8_NAME) });
  });

  it('reads a 300-byte symlink target and a non-UTF-8 one', () => {
    expect(byName(b('d/long-link'))).toMatchObject({ type: '2', linkname: hex(LONG_TARGET), mode: 0o777 });
    expect(byName(b('d/bad-link'))).toMatchObject({ type: '2', linkname: hex(NON_UTF8_TARGET) });
  });

  it('reads uid/gid 3000000 and binary xattr values byte for byte', () => {
    const member = byName(b('d/ping'));
    expect(member).toMatchObject({ uid: BIG_ID, gid: BIG_ID, mode: 0o755, data: hex(b('elf')) });
    expect(member.pax).toEqual({
      [hex(b('uid'))]: hex(b(String(BIG_ID))),
      [hex(b('gid'))]: hex(b(String(BIG_ID))),
      [hex(b('SCHILY.xattr.security.capability'))]: hex(CAPABILITY),
      [hex(Buffer.concat([b('SCHILY.xattr.'), NON_UTF8_XATTR]))]: hex(b('v')),
    });
  });

  it('reads a hardlink to the long name', () => {
    expect(byName(b('d/hard'))).toMatchObject({ type: '1', linkname: hex(LONG_NAME), size: 0 });
  });

  it('decodes base-256 device numbers and octal ones', () => {
    expect(byName(b('d/chr'))).toMatchObject({ type: '3', devmajor: BIG_ID, devminor: MAX_DEVICE_NUMBER });
    expect(byName(b('d/blk'))).toMatchObject({ type: '4', devmajor: 8, devminor: 1, mode: 0o660 });
    expect(byName(b('d/fifo'))).toMatchObject({ type: '6' });
  });

  it('reads mtimes beyond 8^11 and before the epoch from PAX', () => {
    expect(byName(b('d/future')).mtime).toBe(Number(FUTURE));
    expect(byName(b('d/past')).mtime).toBe(Number(PAST));
    expect(byName(b('d/past')).pax).toEqual({ [hex(b('mtime'))]: hex(b('-86400')) });
  });

  it('reads directories, keeping the trailing "/" in a long PAX path', () => {
    expect(byName(b('d'))).toMatchObject({ type: '5', mode: 0o755 });
    expect(byName(LONG_DIR)).toMatchObject({ type: '5', pax: { [hex(b('path'))]: hex(Buffer.concat([LONG_DIR, b('/')])) } });
  });

  it('reads the size of an 8 GiB file from the PAX record of its header', () => {
    const path = join(workDir, 'huge-header.tar');
    writeFileSync(path, encodeEntryHeaders(entry({ path: b('huge'), size: EIGHT_GIB + 5n, uid: BIG_ID })));
    const [member] = readWithPython(path, 'first').members;
    expect(member).toMatchObject({ name: hex(b('huge')), type: '0', size: Number(EIGHT_GIB + 5n), uid: BIG_ID });
    expect(member?.pax).toEqual({ [hex(b('size'))]: hex(b('8589934597')), [hex(b('uid'))]: hex(b('3000000')) });
  });
});

describe.skipIf(SKIP_GNU_TAR)('interop: GNU tar lists the encoder output', () => {
  const listing = once(() => listWithGnuTar(interopPath));
  // GNU tar prints one line per member, then "  x: <size> <name>" per xattr under -vv.
  const memberLines = (): string[] => listing().lines.filter((line) => !line.startsWith('  x: '));
  const lineOf = (name: string): string => {
    const line = memberLines().find((l) => l.includes(` ${name}`));
    if (line === undefined) throw new Error(`GNU tar did not list ${name}:\n${listing().lines.join('\n')}`);
    return line;
  };

  it('lists every member with exit status 0 and no diagnostic but the hdrcharset notice', () => {
    expect(listing().status).toBe(0);
    expect(listing().warnings.filter((w) => w !== GNU_TAR_HDRCHARSET_WARNING)).toEqual([]);
    expect(memberLines()).toHaveLength(INTEROP_MEMBERS.length);
  });

  it('shows the long, non-UTF-8 and UTF-8 names in full (octal escapes for non-ASCII)', () => {
    expect(lineOf(LONG_NAME.toString('latin1'))).toMatch(/^-rw-r--r-- +0\/0 +1000 /);
    expect(lineOf('d/\\377\\376')).toMatch(/ d\/\\377\\376$/);
    expect(lineOf('d/h\\303\\251llo-\\346\\227\\245\\346\\234\\254')).toMatch(/ 2 /);
  });

  it('shows symlink targets and the hardlink target in full', () => {
    expect(lineOf(FULL_NAME.toString('latin1'))).toMatch(new RegExp(` ${FULL_NAME.toString('latin1')} -> \\./${'g'.repeat(98)}$`));
    expect(lineOf('d/long-link')).toMatch(new RegExp(` d/long-link -> ${LONG_TARGET.toString('latin1').replaceAll('.', '\\.')}$`));
    expect(lineOf('d/bad-link')).toMatch(/ d\/bad-link -> \.\.\/\\303\($/);
    expect(lineOf('d/hard')).toMatch(new RegExp(` d/hard link to ${LONG_NAME.toString('latin1')}$`));
  });

  it('shows uid/gid 3000000 and both xattrs with their sizes', () => {
    expect(lineOf('d/ping')).toMatch(/^-rwxr-xr-x\* 3000000\/3000000 +3 /);
    const lines = listing().lines;
    const i = lines.findIndex((l) => l.endsWith(' d/ping'));
    expect(lines.slice(i + 1, i + 3)).toEqual([`  x: ${CAPABILITY.length} security.capability`, `  x: 1 ${NON_UTF8_XATTR.toString('latin1')}`]);
  });

  it('shows device numbers, base-256 and octal', () => {
    expect(lineOf('d/chr')).toMatch(new RegExp(`^crw-r--r-- +0/0 +${BIG_ID},${MAX_DEVICE_NUMBER} `));
    expect(lineOf('d/blk')).toMatch(/^brw-rw---- +0\/0 +8,1 /);
    expect(lineOf('d/fifo')).toMatch(/^prw-r--r-- /);
  });

  it('shows mtimes beyond 8^11 and before the epoch', () => {
    expect(lineOf('d/future')).toMatch(/ 2242-03-16 12:56 d\/future$/);
    expect(lineOf('d/past')).toMatch(/ 1969-12-31 00:00 d\/past$/);
  });

  it('shows directories with their trailing "/"', () => {
    expect(lineOf('d/')).toMatch(/^drwxr-xr-x +0\/0 +0 [-0-9: ]+ d\/$/);
    expect(lineOf(`${LONG_DIR.toString('latin1')}/`)).toMatch(/^drwxr-xr-x /);
  });
});

function displayName(name: Buffer): string {
  return JSON.stringify(name.toString('latin1'));
}
