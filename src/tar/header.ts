// Encodes one tar member's header blocks: an optional PAX 'x' header, then the POSIX ustar header (pure).
import type { TarEntry, TarEntryType } from '../types.js';
import { encodePaxRecords } from './pax.js';

export const TAR_BLOCK_SIZE = 512;

const NAME_FIELD = 100;
const MAX_OCTAL_7 = 0o7777777; // 8-byte numeric fields: 7 octal digits + NUL
const MAX_OCTAL_11 = 8n ** 11n; // 12-byte fields (size, mtime)
const PAX_HEADER_NAME = Buffer.from('././@PaxHeader');
const SCHILY_XATTR = Buffer.from('SCHILY.xattr.');

const TYPEFLAGS: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

/** Two zero blocks end an archive. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * TAR_BLOCK_SIZE);
}

/** Zero bytes that pad `size` bytes of data to a whole block. */
export function paddingLength(size: bigint): number {
  return Number((BigInt(TAR_BLOCK_SIZE) - (size % BigInt(TAR_BLOCK_SIZE))) % BigInt(TAR_BLOCK_SIZE));
}

/**
 * The header blocks for one member (data and its padding follow, written by the caller).
 * Whatever ustar cannot hold goes into PAX records: names or link targets over 100 bytes or not
 * ASCII (raw bytes, with `hdrcharset=BINARY` when not UTF-8), uid/gid over 2097151, sizes from
 * 8 GiB, mtimes outside ustar's range, and xattrs as `SCHILY.xattr.<name>`. Device numbers too
 * large for octal use GNU base-256. Same entry → same bytes.
 */
export function encodeEntryHeaders(entry: TarEntry): Buffer {
  const name = entry.type === 'dir' ? Buffer.concat([entry.path, Buffer.from('/')]) : entry.path;
  const link = entry.linkTarget ?? Buffer.alloc(0);
  const size = entry.type === 'file' ? entry.size : 0n;
  const records: [Buffer, Buffer][] = [];
  const record = (key: string, value: Buffer | string): void => {
    records.push([Buffer.from(key), Buffer.isBuffer(value) ? value : Buffer.from(value)]);
  };

  if (!isUtf8(name) || !isUtf8(link)) record('hdrcharset', 'BINARY');
  const nameFits = fitsUstarText(name);
  if (!nameFits) record('path', name);
  const linkFits = fitsUstarText(link);
  if (!linkFits) record('linkpath', link);
  if (size >= MAX_OCTAL_11) record('size', String(size));
  if (entry.uid > MAX_OCTAL_7) record('uid', String(entry.uid));
  if (entry.gid > MAX_OCTAL_7) record('gid', String(entry.gid));
  const mtimeFits = entry.mtime >= 0n && entry.mtime < MAX_OCTAL_11;
  if (!mtimeFits) record('mtime', String(entry.mtime));
  for (const x of entry.xattrs) records.push([Buffer.concat([SCHILY_XATTR, x.name]), x.value]);

  const header = ustarHeader({
    name: nameFits ? name : truncate(name),
    mode: entry.mode & 0o7777,
    uid: entry.uid > MAX_OCTAL_7 ? 0 : entry.uid,
    gid: entry.gid > MAX_OCTAL_7 ? 0 : entry.gid,
    size: size >= MAX_OCTAL_11 ? 0n : size,
    mtime: mtimeFits ? entry.mtime : 0n,
    typeflag: TYPEFLAGS[entry.type],
    linkname: linkFits ? link : truncate(link),
    devMajor: entry.devMajor,
    devMinor: entry.devMinor,
  });
  if (records.length === 0) return header;
  const pax = encodePaxRecords(records);
  const paxHeader = ustarHeader({
    name: PAX_HEADER_NAME,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: BigInt(pax.length),
    mtime: 0n,
    typeflag: 'x',
    linkname: Buffer.alloc(0),
    devMajor: 0,
    devMinor: 0,
  });
  return Buffer.concat([paxHeader, pax, Buffer.alloc(paddingLength(BigInt(pax.length))), header]);
}

interface UstarFields {
  name: Buffer;
  mode: number;
  uid: number;
  gid: number;
  size: bigint;
  mtime: bigint;
  typeflag: string;
  linkname: Buffer;
  devMajor: number;
  devMinor: number;
}

// POSIX ustar layout: name 0..100, mode 100, uid 108, gid 116, size 124, mtime 136, chksum 148,
// typeflag 156, linkname 157, magic 257 ("ustar\0"), version 263 ("00"), uname 265, gname 297,
// devmajor 329, devminor 337, prefix 345.
function ustarHeader(f: UstarFields): Buffer {
  const block = Buffer.alloc(TAR_BLOCK_SIZE);
  f.name.copy(block, 0, 0, NAME_FIELD);
  writeOctal(block, 100, 8, BigInt(f.mode));
  writeOctal(block, 108, 8, BigInt(f.uid));
  writeOctal(block, 116, 8, BigInt(f.gid));
  writeOctal(block, 124, 12, f.size);
  writeOctal(block, 136, 12, f.mtime);
  block.write(f.typeflag, 156, 'latin1');
  f.linkname.copy(block, 157, 0, NAME_FIELD);
  block.write('ustar\0', 257, 'latin1');
  block.write('00', 263, 'latin1');
  writeNumber(block, 329, BigInt(f.devMajor));
  writeNumber(block, 337, BigInt(f.devMinor));
  // The checksum is computed with its own field as 8 spaces, then written as 6 digits, NUL, space.
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

// Zero-padded octal with a trailing NUL, filling the field.
function writeOctal(block: Buffer, offset: number, width: number, value: bigint): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, 'latin1');
}

// An 8-byte device field: octal when it fits, otherwise GNU base-256 (high bit set, big-endian).
function writeNumber(block: Buffer, offset: number, value: bigint): void {
  if (value <= BigInt(MAX_OCTAL_7)) {
    writeOctal(block, offset, 8, value);
    return;
  }
  let v = value;
  for (let i = 7; i >= 1; i--) {
    block[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  block[offset] = 0x80;
}

// Short ASCII text goes in the ustar field; anything longer or non-ASCII needs a PAX record.
function fitsUstarText(bytes: Buffer): boolean {
  return bytes.length <= NAME_FIELD && bytes.every((b) => b > 0 && b < 0x80);
}

// The ustar field of a PAX-carried name keeps a readable, deterministic stand-in.
function truncate(bytes: Buffer): Buffer {
  return bytes.subarray(0, NAME_FIELD);
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}
