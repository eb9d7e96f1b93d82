// The ustar header layout the writer and the reader share, and the encoding of one TarEntry into its header blocks: an optional PAX 'x' member, then the ustar header (pure).
import { isUtf8 } from 'node:buffer';
import { OverlaydiffError, displayPath } from '../errors.js';
import type { TarEntry, TarEntryType } from '../types.js';
import { encodePaxRecords } from './pax.js';

export const TAR_BLOCK_SIZE = 512;
const TAR_BLOCK_SIZE_N = BigInt(TAR_BLOCK_SIZE);

// The ustar header fields in order, with their sizes in bytes (POSIX pax, "ustar Interchange
// Format"); offsets are summed from the sizes so the layout cannot drift from them.
const USTAR_FIELD_SIZES = [
  ['name', 100],
  ['mode', 8],
  ['uid', 8],
  ['gid', 8],
  ['size', 12],
  ['mtime', 12],
  ['chksum', 8],
  ['typeflag', 1],
  ['linkname', 100],
  ['magic', 6],
  ['version', 2],
  ['uname', 32],
  ['gname', 32],
  ['devmajor', 8],
  ['devminor', 8],
  ['prefix', 155],
] as const;

type UstarFieldName = (typeof USTAR_FIELD_SIZES)[number][0];
/** Where a field sits in a 512-byte ustar header block. */
export interface UstarField {
  readonly offset: number;
  readonly size: number;
}
/** The ustar header fields by name: the one table the writer and the reader use. */
export const USTAR_FIELD: Readonly<Record<UstarFieldName, UstarField>> = layOutFields();
const FIELD = USTAR_FIELD;

/** The magic of a POSIX ustar header; only with it does the `prefix` field hold part of the name. */
export const USTAR_MAGIC = Buffer.from('ustar\0', 'latin1');
const VERSION = Buffer.from('00', 'latin1');
// A numeric field holds `size - 1` octal digits and a NUL.
/** The largest number an 8-byte field (uid, gid, devmajor, devminor) holds in octal: 2097151. */
const SMALL_FIELD_MAX = 8 ** (FIELD.uid.size - 1) - 1;
/** The first number a 12-byte field (size, mtime) cannot hold in octal: 8^11, 8 GiB as a size. */
const LARGE_FIELD_LIMIT = 8n ** BigInt(FIELD.size.size - 1);
/** Permission bits plus setuid, setgid and sticky; the file type is the typeflag's job. */
export const MODE_BITS = 0o7777;
const BASE_256_FLAG = 0x80;
/** GNU tar refuses device numbers outside its signed 32-bit major_t/minor_t ("out of minor_t range"). */
const MAX_DEVICE_NUMBER = 2 ** 31 - 1;

const PAX_HEADER_NAME = Buffer.from('././@PaxHeader');
const PAX_HEADER_MODE = 0o644;
const PAX_TYPEFLAG = 'x';
/** The PAX key prefix of an xattr record: `SCHILY.xattr.<name>=<raw value>`. */
export const XATTR_KEY_PREFIX = Buffer.from('SCHILY.xattr.');
const BINARY = Buffer.from('BINARY');
/** Stands in for a non-ASCII byte in the ustar copy of a name that PAX carries in full. */
const STAND_IN = 0x5f; // '_'
const SLASH = Buffer.from('/');

const TYPEFLAGS: Readonly<Record<TarEntryType, string>> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

/** The typeflag of a pre-POSIX regular file (or, with a name ending in '/', a directory). */
export const OLD_FILE_TYPEFLAG = '\0';

/**
 * The member type of each typeflag a reader accepts: the ones written here, the pre-POSIX NUL
 * and '7' (a contiguous file: a regular file everywhere but on one historic system).
 */
export const TYPE_OF_TYPEFLAG: ReadonlyMap<string, TarEntryType> = new Map<string, TarEntryType>([
  ...(Object.keys(TYPEFLAGS) as TarEntryType[]).map((type) => [TYPEFLAGS[type], type] as const),
  [OLD_FILE_TYPEFLAG, 'file'],
  ['7', 'file'],
]);

/** Two zero blocks: the end-of-archive marker. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * TAR_BLOCK_SIZE);
}

/** The number of zero bytes that pad `size` bytes of member data to a whole block (0–511). */
export function paddingLength(size: bigint): number {
  return Number((TAR_BLOCK_SIZE_N - (size % TAR_BLOCK_SIZE_N)) % TAR_BLOCK_SIZE_N);
}

/**
 * The header blocks of one member: when ustar cannot hold everything, a PAX 'x' member
 * (`././@PaxHeader`, its records, zero padding to a block), then the 512-byte ustar header.
 * The caller writes `entry.size` data bytes and `paddingLength(entry.size)` zeros after it, for
 * 'file' members only (every other type has a size field of 0).
 *
 * Deterministic: the same entry always gives the same bytes (no uname/gname, no atime/ctime,
 * fixed PAX member metadata). Records, in this order, only when needed:
 * - `hdrcharset=BINARY` when the name or link target is not valid UTF-8 (stored raw);
 * - `path` / `linkpath` for a name ('/' appended for a dir) or link target that is over 100 bytes
 *   or not ASCII; the ustar field then holds its first 100 bytes with non-ASCII bytes as '_';
 * - `size` from 8 GiB; `uid` / `gid` over 2097151; `mtime` outside [0, 8^11) (the field holds 0);
 * - `SCHILY.xattr.<name>` = raw value for each xattr, in the order given.
 * Device numbers are written for 'char' and 'block' only (0 otherwise), in GNU base-256 when
 * they do not fit 7 octal digits, since POSIX PAX has no device keys.
 *
 * Throws `E_UNREPRESENTABLE` naming the path for what a tar cannot carry: an empty name or one
 * holding NUL, a link without a target (or a target on a non-link), negative or non-integer
 * numbers, device numbers over 2^31 - 1, an xattr name holding '=' or NUL, an empty xattr value.
 */
export function encodeEntryHeaders(entry: TarEntry): Buffer {
  checkRepresentable(entry);
  const name = entry.type === 'dir' ? Buffer.concat([entry.path, SLASH]) : entry.path;
  const link = entry.linkTarget ?? Buffer.alloc(0);
  const size = entry.type === 'file' ? entry.size : 0n;
  const isDevice = entry.type === 'char' || entry.type === 'block';

  const pathInPax = !fitsUstarText(name);
  const linkInPax = !fitsUstarText(link);
  const sizeInPax = size >= LARGE_FIELD_LIMIT;
  const uidInPax = entry.uid > SMALL_FIELD_MAX;
  const gidInPax = entry.gid > SMALL_FIELD_MAX;
  const mtimeInPax = entry.mtime < 0n || entry.mtime >= LARGE_FIELD_LIMIT;

  const records: (readonly [Buffer, Buffer])[] = [];
  // hdrcharset governs path and linkpath (POSIX pax "hdrcharset"); only they can be non-UTF-8.
  if (!isUtf8(name) || !isUtf8(link)) records.push(paxRecord('hdrcharset', BINARY));
  if (pathInPax) records.push(paxRecord('path', name));
  if (linkInPax) records.push(paxRecord('linkpath', link));
  if (sizeInPax) records.push(paxRecord('size', size));
  if (uidInPax) records.push(paxRecord('uid', entry.uid));
  if (gidInPax) records.push(paxRecord('gid', entry.gid));
  if (mtimeInPax) records.push(paxRecord('mtime', entry.mtime));
  for (const xattr of entry.xattrs) records.push([Buffer.concat([XATTR_KEY_PREFIX, xattr.name]), xattr.value]);

  const header = encodeUstarBlock({
    name: pathInPax ? standIn(name) : name,
    mode: entry.mode & MODE_BITS,
    uid: uidInPax ? 0 : entry.uid,
    gid: gidInPax ? 0 : entry.gid,
    size: sizeInPax ? 0n : size,
    mtime: mtimeInPax ? 0n : entry.mtime,
    typeflag: TYPEFLAGS[entry.type],
    linkname: linkInPax ? standIn(link) : link,
    devMajor: isDevice ? entry.devMajor : 0,
    devMinor: isDevice ? entry.devMinor : 0,
  });
  if (records.length === 0) return header;

  const paxData = encodeRecordsOf(entry, records);
  const paxSize = BigInt(paxData.length);
  const paxHeader = encodeUstarBlock({
    name: PAX_HEADER_NAME,
    mode: PAX_HEADER_MODE,
    uid: 0,
    gid: 0,
    size: paxSize,
    mtime: 0n,
    typeflag: PAX_TYPEFLAG,
    linkname: Buffer.alloc(0),
    devMajor: 0,
    devMinor: 0,
  });
  return Buffer.concat([paxHeader, paxData, Buffer.alloc(paddingLength(paxSize)), header]);
}

/** The fields of one ustar header block, as encoded here and decoded by the reader. */
export interface UstarValues {
  readonly name: Buffer;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: bigint;
  readonly mtime: bigint;
  readonly typeflag: string;
  readonly linkname: Buffer;
  readonly devMajor: number;
  readonly devMinor: number;
}

// Every value must already fit its field: encodeEntryHeaders moves what does not into PAX.
function encodeUstarBlock(v: UstarValues): Buffer {
  const block = Buffer.alloc(TAR_BLOCK_SIZE);
  writeText(block, FIELD.name, v.name);
  writeOctal(block, FIELD.mode, BigInt(v.mode));
  writeOctal(block, FIELD.uid, BigInt(v.uid));
  writeOctal(block, FIELD.gid, BigInt(v.gid));
  writeOctal(block, FIELD.size, v.size);
  writeOctal(block, FIELD.mtime, v.mtime);
  writeText(block, FIELD.typeflag, Buffer.from(v.typeflag, 'latin1'));
  writeText(block, FIELD.linkname, v.linkname);
  writeText(block, FIELD.magic, USTAR_MAGIC);
  writeText(block, FIELD.version, VERSION);
  // uname, gname and prefix stay empty (zero bytes): owners travel as numbers only.
  writeDeviceNumber(block, FIELD.devmajor, BigInt(v.devMajor));
  writeDeviceNumber(block, FIELD.devminor, BigInt(v.devMinor));
  writeChecksum(block);
  return block;
}

// Written as GNU tar, Go and Python do: 6 octal digits, NUL, space.
function writeChecksum(block: Buffer): void {
  const { offset, size } = FIELD.chksum;
  block.write(
    `${headerChecksums(block)
      .unsigned.toString(8)
      .padStart(size - 2, '0')}\0 `,
    offset,
    'latin1',
  );
}

/**
 * The sums a header's checksum field may hold (POSIX: the unsigned sum of all its bytes, the
 * checksum field counted as 8 spaces; old tars summed signed bytes, and GNU tar accepts both).
 */
export function headerChecksums(block: Buffer): { unsigned: number; signed: number } {
  const { offset, size } = FIELD.chksum;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK_SIZE; i++) {
    const byte = i >= offset && i < offset + size ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 0x100 : byte;
  }
  return { unsigned, signed };
}

function writeText(block: Buffer, field: UstarField, bytes: Buffer): void {
  if (bytes.length > field.size) throw new Error(`tar header: ${bytes.length} bytes do not fit a ${field.size}-byte field`);
  bytes.copy(block, field.offset);
}

// Zero-padded octal digits and a NUL, filling the field.
function writeOctal(block: Buffer, field: UstarField, value: bigint): void {
  const digits = value.toString(8).padStart(field.size - 1, '0');
  if (value < 0n || digits.length > field.size - 1) {
    throw new Error(`tar header: ${value} does not fit ${field.size - 1} octal digits`);
  }
  block.write(`${digits}\0`, field.offset, 'latin1');
}

// Octal when it fits; otherwise GNU base-256: the remaining bytes big-endian, first byte's high
// bit set. Read by GNU tar, Go, Python and libarchive alike.
function writeDeviceNumber(block: Buffer, field: UstarField, value: bigint): void {
  if (value <= BigInt(SMALL_FIELD_MAX)) {
    writeOctal(block, field, value);
    return;
  }
  let rest = value;
  for (let i = field.size - 1; i >= 0; i--) {
    block[field.offset + i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  block[field.offset] = BASE_256_FLAG; // the value is under 2^31, so the flag byte holds no value bits
}

// A name the ustar field can hold as is: at most 100 bytes (no NUL needed at 100), all ASCII.
function fitsUstarText(bytes: Buffer): boolean {
  return bytes.length <= FIELD.name.size && bytes.every((byte) => byte < 0x80);
}

// The ustar copy of a name PAX carries: deterministic, never a cut UTF-8 sequence, readable by
// a reader without PAX support. Readers with PAX support ignore it.
function standIn(bytes: Buffer): Buffer {
  return Buffer.from(bytes.subarray(0, FIELD.name.size).map((byte) => (byte < 0x80 ? byte : STAND_IN)));
}

function paxRecord(key: string, value: Buffer | bigint | number): readonly [Buffer, Buffer] {
  return [Buffer.from(key, 'latin1'), Buffer.isBuffer(value) ? value : Buffer.from(value.toString(), 'latin1')];
}

function encodeRecordsOf(entry: TarEntry, records: readonly (readonly [Buffer, Buffer])[]): Buffer {
  try {
    return encodePaxRecords(records);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new OverlaydiffError('E_UNREPRESENTABLE', `${displayPath(entry.path)}: ${reason}`, { path: entry.path, cause: err });
  }
}

function checkRepresentable(entry: TarEntry): void {
  const refuse = (why: string): never => {
    throw new OverlaydiffError('E_UNREPRESENTABLE', `${displayPath(entry.path)}: cannot be stored in a tar: ${why}`, {
      path: entry.path,
    });
  };
  if (entry.path.length === 0 || entry.path.includes(0)) refuse('the name is empty or holds a NUL byte');
  const isLink = entry.type === 'symlink' || entry.type === 'hardlink';
  const target = entry.linkTarget;
  if (isLink && (target === undefined || target.length === 0)) refuse(`a ${entry.type} needs a link target`);
  if (!isLink && target !== undefined) refuse(`only links have a link target, not a ${entry.type}`);
  if (target?.includes(0)) refuse('the link target holds a NUL byte');
  for (const [what, n] of [
    ['mode', entry.mode],
    ['uid', entry.uid],
    ['gid', entry.gid],
    ['device major', entry.devMajor],
    ['device minor', entry.devMinor],
  ] as const) {
    if (!Number.isSafeInteger(n) || n < 0) refuse(`${what} ${n} is not a non-negative integer`);
  }
  if (entry.size < 0n) refuse(`size ${entry.size} is negative`);
  // Linux devices have 12-bit majors and 20-bit minors; anything larger is not a real device.
  if (entry.devMajor > MAX_DEVICE_NUMBER || entry.devMinor > MAX_DEVICE_NUMBER) {
    refuse(`device ${entry.devMajor},${entry.devMinor} is beyond ${MAX_DEVICE_NUMBER}, which GNU tar cannot read`);
  }
}

function layOutFields(): Readonly<Record<UstarFieldName, UstarField>> {
  let offset = 0;
  const fields = USTAR_FIELD_SIZES.map(([name, size]) => {
    const field = [name, { offset, size }] as const;
    offset += size;
    return field;
  });
  // fromEntries loses the key type; every name is present by construction.
  return Object.fromEntries(fields) as Record<UstarFieldName, UstarField>;
}
