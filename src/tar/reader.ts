// Reads a tar stream (ustar, POSIX PAX, GNU long names) into TarEntry headers with streamed bodies.
import { OverlaydiffError, displayPath } from '../errors.js';
import type { TarEntry, Xattr } from '../types.js';
import {
  MODE_BITS,
  OLD_FILE_TYPEFLAG,
  TAR_BLOCK_SIZE,
  TYPE_OF_TYPEFLAG,
  USTAR_FIELD,
  USTAR_MAGIC,
  XATTR_KEY_PREFIX,
  headerChecksums,
  paddingLength,
  type UstarField,
  type UstarValues,
} from './header.js';

/** Bounds on what the reader holds in memory for one member's metadata. */
export interface TarReaderLimits {
  /**
   * Largest total of PAX ('x'), GNU long-name ('L') and long-link ('K') data before one member,
   * in bytes. Default: 1 MiB. A larger header is refused with E_BAD_ARCHIVE, never buffered.
   */
  readonly maxHeaderDataSize?: number;
}

/** A member header and its data; `body` yields exactly `entry.size` bytes for a 'file'. */
export interface TarMember {
  readonly entry: Omit<TarEntry, 'source'>;
  /** Names of `SCHILY.xattr.*` PAX records with an empty value (deleted from `entry.xattrs`, as POSIX says). */
  readonly emptyXattrs: readonly Buffer[];
  /** Member data. Consume it before asking for the next member, or it is skipped. */
  readonly body: AsyncIterable<Buffer>;
}

const DEFAULT_MAX_HEADER_DATA = 1 << 20;
const GNU_SPARSE_PREFIX = 'GNU.sparse.';

/**
 * Yields the members of the tar in `source`, in archive order. Header blocks are checksummed
 * (unsigned or signed sum, as GNU tar accepts); PAX records `path`, `linkpath`, `size`, `uid`,
 * `gid`, `mtime` (whole seconds, fraction dropped) and `SCHILY.xattr.<name>` (name and value as
 * raw bytes, never decoded) override the ustar fields; GNU 'L'/'K' members give long names. A
 * ustar `prefix` is joined to the name. Paths lose their trailing '/'; an old-style regular file
 * (typeflag NUL) whose name ends in '/' is a directory.
 *
 * Framing is Go's archive/tar (what containerd extracts with) and Python's tarfile: only regular
 * files ('0', NUL, '7') have a data section, of the header's (or PAX) size; links, symlinks,
 * directories, fifos and devices are header-only, so the block after one is the next header
 * whatever its size field says. GNU tar instead skips the size of a symlink, fifo or device, and
 * would not show a member hidden there; containerd would extract it, so this reader shows it.
 *
 * PAX global headers ('g') that carry only `comment` records (as `git archive` writes) are
 * ignored; any other global record is refused, since ignoring it would misread later members
 * and applying it to the whole stream is rarely what the writer of a layer meant.
 *
 * Memory is bounded: bodies stream through, and header data above `maxHeaderDataSize` is
 * refused. The source is always read to its end (after the end-of-archive blocks too), so a
 * hash of the stream covers every byte. Throws E_BAD_ARCHIVE, naming the member where there
 * is one, for a bad checksum, a truncated stream, a malformed number or PAX record, an
 * unsupported member type (GNU sparse, multi-volume, ...) or a link without a target.
 */
export async function* readTar(source: AsyncIterable<Buffer>, limits: TarReaderLimits = {}): AsyncGenerator<TarMember> {
  const maxMeta = limits.maxHeaderDataSize ?? DEFAULT_MAX_HEADER_DATA;
  const input = new ByteReader(source);
  let pending = new PendingMeta();
  let ended = false;
  try {
    for (;;) {
      const block = await input.readBlock();
      if (block === undefined) break; // no end-of-archive marker: accepted, as GNU tar and Python do
      if (isZero(block)) {
        ended = true;
        break;
      }
      const header = parseHeader(block);
      const context = displayPath(header.name);
      switch (header.typeflag) {
        case 'x':
        case 'g':
        case 'L':
        case 'K': {
          const size = header.size;
          if (size > BigInt(maxMeta - pending.bytes)) {
            throw bad(`${context}: ${describeMeta(header.typeflag)} of ${size} bytes exceeds the ${maxMeta}-byte limit`);
          }
          const data = await input.readExact(Number(size), context);
          await input.skip(BigInt(paddingLength(size)), context);
          pending.bytes += data.length;
          if (header.typeflag === 'x') pending.applyPax(parsePaxRecords(data, context), context);
          else if (header.typeflag === 'g') checkGlobal(parsePaxRecords(data, context), context);
          else if (header.typeflag === 'L') pending.longName = cString(data);
          else pending.longLink = cString(data);
          continue;
        }
      }
      const entry = buildEntry(header, pending);
      const emptyXattrs = pending.emptyXattrs;
      pending = new PendingMeta();
      const bodySize = entry.type === 'file' ? entry.size : 0n; // header-only types, as Go's isHeaderOnlyType
      let remaining = bodySize;
      const entryName = displayPath(entry.path);
      const body = (async function* (): AsyncGenerator<Buffer> {
        while (remaining > 0n) {
          const chunk = await input.readSome(remaining, entryName);
          remaining -= BigInt(chunk.length);
          yield chunk;
        }
      })();
      yield { entry, body, emptyXattrs };
      if (remaining > 0n) await input.skip(remaining, entryName);
      remaining = 0n;
      await input.skip(BigInt(paddingLength(bodySize)), entryName);
    }
    if (!ended && pending.bytes > 0) throw bad('the archive ends after an extended header, without its member');
    await input.drain();
  } finally {
    await input.close();
  }
}

function describeMeta(typeflag: string): string {
  return typeflag === 'L' ? 'GNU long name' : typeflag === 'K' ? 'GNU long link name' : typeflag === 'g' ? 'PAX global header' : 'PAX header';
}

// Global headers: comments only (git archive). Any other key changes how later members read.
function checkGlobal(records: readonly PaxRecord[], context: string): void {
  for (const { key } of records) {
    if (key.toString('latin1') !== 'comment') {
      throw bad(`${context}: PAX global header record "${displayPath(key)}" is not supported (only comment records are ignored)`);
    }
  }
}

/** Header data that applies to the next real member. */
class PendingMeta {
  bytes = 0;
  longName: Buffer | undefined;
  longLink: Buffer | undefined;
  path: Buffer | undefined;
  linkpath: Buffer | undefined;
  size: bigint | undefined;
  uid: number | undefined;
  gid: number | undefined;
  mtime: bigint | undefined;
  readonly xattrs = new Map<string, Xattr>();
  readonly emptyXattrs: Buffer[] = [];

  applyPax(records: readonly PaxRecord[], context: string): void {
    for (const { key, value } of records) {
      if (key.subarray(0, XATTR_KEY_PREFIX.length).equals(XATTR_KEY_PREFIX)) {
        const name = key.subarray(XATTR_KEY_PREFIX.length);
        if (name.length === 0) throw bad(`${context}: PAX record SCHILY.xattr. has no attribute name`);
        // An empty value deletes the key (POSIX pax: "a null value ... shall be treated as deleted").
        if (value.length === 0) {
          this.xattrs.delete(name.toString('latin1'));
          this.emptyXattrs.push(Buffer.from(name));
        } else this.xattrs.set(name.toString('latin1'), { name: Buffer.from(name), value: Buffer.from(value) });
        continue;
      }
      const k = key.toString('latin1');
      const isEmpty = value.length === 0;
      switch (k) {
        case 'path':
          this.path = isEmpty ? undefined : Buffer.from(value);
          break;
        case 'linkpath':
          this.linkpath = isEmpty ? undefined : Buffer.from(value);
          break;
        case 'size':
          this.size = isEmpty ? undefined : decimal(value, k, context);
          break;
        case 'uid':
          this.uid = isEmpty ? undefined : smallNumber(decimal(value, k, context), k, context);
          break;
        case 'gid':
          this.gid = isEmpty ? undefined : smallNumber(decimal(value, k, context), k, context);
          break;
        case 'mtime':
          this.mtime = isEmpty ? undefined : paxSeconds(value, context);
          break;
        default:
          if (k.startsWith(GNU_SPARSE_PREFIX)) throw bad(`${context}: GNU sparse members are not supported`);
        // atime, ctime, uname, gname, comment, hdrcharset, charset and vendor keys change nothing here.
      }
    }
  }
}

type Header = UstarValues;

function parseHeader(block: Buffer): Header {
  const field = (f: UstarField): Buffer => block.subarray(f.offset, f.offset + f.size);
  const rawName = cString(field(USTAR_FIELD.name));
  const context = displayPath(rawName);
  checkChecksum(block, context);
  const prefix = field(USTAR_FIELD.magic).equals(USTAR_MAGIC) ? cString(field(USTAR_FIELD.prefix)) : Buffer.alloc(0);
  const name = prefix.length > 0 ? Buffer.concat([prefix, Buffer.from('/'), rawName]) : rawName;
  const num = (what: 'mode' | 'uid' | 'gid' | 'size' | 'mtime' | 'devmajor' | 'devminor'): bigint => parseNumber(field(USTAR_FIELD[what]), what, context);
  const small = (what: 'uid' | 'gid' | 'devmajor' | 'devminor'): number => smallNumber(num(what), what, context);
  return {
    name,
    mode: Number(num('mode') & BigInt(MODE_BITS)),
    uid: small('uid'),
    gid: small('gid'),
    size: num('size'),
    mtime: num('mtime'),
    typeflag: String.fromCharCode(block[USTAR_FIELD.typeflag.offset]!),
    linkname: cString(field(USTAR_FIELD.linkname)),
    devMajor: small('devmajor'),
    devMinor: small('devminor'),
  };
}

function buildEntry(header: Header, meta: PendingMeta): Omit<TarEntry, 'source'> {
  let path = meta.path ?? meta.longName ?? header.name;
  const linkTarget = meta.linkpath ?? meta.longLink ?? header.linkname;
  const context = displayPath(path);
  let type = TYPE_OF_TYPEFLAG.get(header.typeflag);
  if (type === undefined) {
    throw bad(`${context}: member type ${JSON.stringify(header.typeflag)} is not supported (GNU sparse, multi-volume and other extensions)`);
  }
  // Go and Python: only the old NUL typeflag with a trailing '/' means a directory.
  if (header.typeflag === OLD_FILE_TYPEFLAG && path.length > 0 && path[path.length - 1] === 0x2f) type = 'dir';
  path = stripTrailingSlashes(path);
  const isLink = type === 'hardlink' || type === 'symlink';
  if (isLink && linkTarget.length === 0) throw bad(`${context}: a ${type} member has no link target`);
  const isDevice = type === 'char' || type === 'block';
  return {
    path,
    type,
    mode: header.mode,
    uid: meta.uid ?? header.uid,
    gid: meta.gid ?? header.gid,
    mtime: meta.mtime ?? header.mtime,
    size: type === 'file' ? (meta.size ?? header.size) : 0n,
    ...(isLink ? { linkTarget } : {}),
    devMajor: isDevice ? header.devMajor : 0,
    devMinor: isDevice ? header.devMinor : 0,
    xattrs: [...meta.xattrs.values()].sort((a, b) => Buffer.compare(a.name, b.name)),
  };
}

function stripTrailingSlashes(path: Buffer): Buffer {
  let end = path.length;
  while (end > 0 && path[end - 1] === 0x2f) end--;
  return end === path.length ? path : path.subarray(0, end);
}

function checkChecksum(block: Buffer, context: string): void {
  const { unsigned, signed } = headerChecksums(block);
  const { offset, size } = USTAR_FIELD.chksum;
  const stored = parseNumber(block.subarray(offset, offset + size), 'checksum', context);
  if (stored !== BigInt(unsigned) && stored !== BigInt(signed)) {
    throw bad(`${context || '(header)'}: header checksum mismatch (stored ${stored}, computed ${unsigned}): not a tar archive, or a corrupt one`);
  }
}

// Octal digits padded with spaces or NULs, or GNU base-256 (first byte 0x80; 0xff is negative).
function parseNumber(field: Buffer, what: string, context: string): bigint {
  const first = field[0]!;
  if (first === 0x80) {
    let value = 0n;
    for (let i = 1; i < field.length; i++) value = (value << 8n) | BigInt(field[i]!);
    return value;
  }
  if (first === 0xff) throw bad(`${context}: negative ${what} in base-256 is not supported`);
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^[ ]+/, '');
  if (text === '') return 0n;
  if (!/^[0-7]+$/.test(text)) throw bad(`${context}: malformed ${what} field ${JSON.stringify(text)}`);
  return BigInt(`0o${text}`);
}

function smallNumber(value: bigint, what: string, context: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`${context}: ${what} ${value} is out of range`);
  return Number(value);
}

function decimal(value: Buffer, key: string, context: string): bigint {
  const text = value.toString('latin1');
  if (!/^\d{1,20}$/.test(text)) throw bad(`${context}: PAX record ${key}=${JSON.stringify(text)} is not a whole number`);
  return BigInt(text);
}

// PAX mtime: optional '-', digits, optional fraction; whole seconds toward −∞.
function paxSeconds(value: Buffer, context: string): bigint {
  const text = value.toString('latin1');
  const m = /^(-?)(\d{1,20})(?:\.(\d{0,9})\d*)?$/.exec(text);
  if (m === null) throw bad(`${context}: PAX record mtime=${JSON.stringify(text)} is not a number`);
  const whole = BigInt(m[2]!);
  if (m[1] !== '-') return whole;
  const hasFraction = m[3] !== undefined && /[1-9]/.test(m[3]);
  return -whole - (hasFraction ? 1n : 0n);
}

interface PaxRecord {
  readonly key: Buffer;
  readonly value: Buffer;
}

/** Splits PAX data into records by their length prefixes; values stay raw bytes. */
export function parsePaxRecords(data: Buffer, context = 'PAX header'): PaxRecord[] {
  const records: PaxRecord[] = [];
  let pos = 0;
  while (pos < data.length) {
    // Writers pad PAX data with NULs only after the last record, if at all.
    if (data[pos] === 0 && data.subarray(pos).every((byte) => byte === 0)) break;
    const space = data.indexOf(0x20, pos);
    const digits = space < 0 ? '' : data.subarray(pos, space).toString('latin1');
    if (space < 0 || space - pos > 10 || !/^[1-9]\d*$/.test(digits)) throw bad(`${context}: malformed PAX record at byte ${pos}: bad length`);
    const length = Number(digits);
    const end = pos + length;
    if (end > data.length || end <= space + 1 || data[end - 1] !== 0x0a) {
      throw bad(`${context}: malformed PAX record at byte ${pos}: length ${length} does not end at a newline`);
    }
    const record = data.subarray(space + 1, end - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw bad(`${context}: malformed PAX record at byte ${pos}: no key`);
    records.push({ key: record.subarray(0, eq), value: record.subarray(eq + 1) });
    pos = end;
  }
  return records;
}

function cString(bytes: Buffer): Buffer {
  const nul = bytes.indexOf(0);
  return Buffer.from(nul < 0 ? bytes : bytes.subarray(0, nul));
}

function isZero(block: Buffer): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

function bad(message: string): OverlaydiffError {
  return new OverlaydiffError('E_BAD_ARCHIVE', message);
}

/** Pull-based reads from an async iterable of chunks: exact blocks, bounded slices, skips. */
class ByteReader {
  readonly #iterator: AsyncIterator<Buffer>;
  #chunk: Buffer = Buffer.alloc(0);
  #done = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.#iterator = source[Symbol.asyncIterator]();
  }

  async #fill(): Promise<boolean> {
    while (this.#chunk.length === 0) {
      if (this.#done) return false;
      const next = await this.#iterator.next();
      if (next.done === true) {
        this.#done = true;
        return false;
      }
      this.#chunk = next.value;
    }
    return true;
  }

  /** One 512-byte block; undefined at a clean end of stream; E_BAD_ARCHIVE inside a block. */
  async readBlock(): Promise<Buffer | undefined> {
    if (!(await this.#fill())) return undefined;
    return this.readExact(TAR_BLOCK_SIZE, 'header');
  }

  async readExact(n: number, context: string): Promise<Buffer> {
    if (this.#chunk.length >= n) {
      const out = this.#chunk.subarray(0, n);
      this.#chunk = this.#chunk.subarray(n);
      return out;
    }
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      if (!(await this.#fill())) throw truncated(context);
      const take = Math.min(n - got, this.#chunk.length);
      parts.push(this.#chunk.subarray(0, take));
      this.#chunk = this.#chunk.subarray(take);
      got += take;
    }
    return Buffer.concat(parts, n);
  }

  /** Between 1 and `max` bytes (without copying). */
  async readSome(max: bigint, context: string): Promise<Buffer> {
    if (!(await this.#fill())) throw truncated(context);
    const take = max < BigInt(this.#chunk.length) ? Number(max) : this.#chunk.length;
    const out = this.#chunk.subarray(0, take);
    this.#chunk = this.#chunk.subarray(take);
    return out;
  }

  async skip(n: bigint, context: string): Promise<void> {
    let left = n;
    while (left > 0n) left -= BigInt((await this.readSome(left, context)).length);
  }

  /** Reads and discards whatever follows the end of the archive. */
  async drain(): Promise<void> {
    this.#chunk = Buffer.alloc(0);
    while (await this.#fill()) this.#chunk = Buffer.alloc(0);
  }

  async close(): Promise<void> {
    if (!this.#done) await this.#iterator.return?.();
  }
}

function truncated(context: string): OverlaydiffError {
  return bad(`${context}: the archive is truncated`);
}
