// Watches raw tar bytes for `SCHILY.xattr.*` PAX records with an empty value, per member.
import { parsePaxRecords } from '../tar/reader.js';
import { TAR_BLOCK_SIZE, paddingLength } from '../tar/header.js';

const XATTR_KEY_PREFIX = Buffer.from('SCHILY.xattr.');
const SIZE_KEY = Buffer.from('size');
// Header-only members that describe the next one; they are not members of their own for readTar.
const META_TYPES = new Set(['x', 'g', 'L', 'K']);

/**
 * readTar applies POSIX's "an empty value deletes the key", so an empty xattr record never shows
 * in its entries; the lint still wants to flag one (a writer that means "xattr with empty value"
 * loses it). This scanner is fed the same bytes readTar reads, chunk by chunk, before readTar sees
 * them, and records for member number N (counting as readTar yields) the xattr names that had an
 * empty record. It only follows header structure (sizes, PAX `size`); readTar does the validation,
 * so on malformed input the scanner stops quietly and readTar reports the error.
 */
export class EmptyXattrScanner {
  /** Member index → names of empty xattr records in its PAX header. */
  readonly found = new Map<number, Buffer[]>();
  #buffer: Buffer[] = [];
  #buffered = 0;
  /** Bytes still to skip (member data and padding). */
  #skip = 0n;
  /** Bytes of a PAX 'x' body still to collect, then its padding. */
  #paxLength = 0;
  #paxPadding = 0;
  #pendingNames: Buffer[] = [];
  #pendingSize: bigint | undefined;
  #member = 0;
  #stopped = false;

  /** Feeds the next chunk of the tar stream. */
  update(chunk: Buffer): void {
    if (this.#stopped) return;
    this.#buffer.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#skip > 0n) {
        const take = this.#skip < BigInt(this.#buffered) ? Number(this.#skip) : this.#buffered;
        this.#take(take);
        this.#skip -= BigInt(take);
        if (this.#skip > 0n) return;
      }
      if (this.#paxLength > 0) {
        if (this.#buffered < this.#paxLength) return;
        this.#readPax(this.#take(this.#paxLength));
        this.#paxLength = 0;
        this.#skip = BigInt(this.#paxPadding);
        continue;
      }
      if (this.#buffered < TAR_BLOCK_SIZE) return;
      const block = this.#take(TAR_BLOCK_SIZE);
      if (block.every((b) => b === 0)) continue;
      const typeflag = String.fromCharCode(block[156] ?? 0);
      const size = parseSize(block.subarray(124, 136));
      if (size === undefined) {
        this.#stopped = true;
        return;
      }
      if (typeflag === 'x') {
        if (size > 1n << 24n) {
          this.#stopped = true;
          return;
        }
        this.#paxLength = Number(size);
        this.#paxPadding = paddingLength(size);
        if (this.#paxLength === 0) this.#skip = 0n;
        continue;
      }
      if (META_TYPES.has(typeflag)) {
        this.#skip = size + BigInt(paddingLength(size));
        continue;
      }
      const dataSize = this.#pendingSize ?? size;
      if (this.#pendingNames.length > 0) this.found.set(this.#member, this.#pendingNames);
      this.#pendingNames = [];
      this.#pendingSize = undefined;
      this.#member++;
      // Only regular files ('0', NUL, '7') carry data; the reader treats every other size as 0.
      const hasData = typeflag === '0' || typeflag === '\0' || typeflag === '7';
      this.#skip = hasData ? dataSize + BigInt(paddingLength(dataSize)) : 0n;
    }
  }

  #readPax(data: Buffer): void {
    let records;
    try {
      records = parsePaxRecords(data);
    } catch {
      // readTar reports the malformed header with its context.
      this.#stopped = true;
      return;
    }
    for (const { key, value } of records) {
      if (key.length > XATTR_KEY_PREFIX.length && key.subarray(0, XATTR_KEY_PREFIX.length).equals(XATTR_KEY_PREFIX)) {
        if (value.length === 0) this.#pendingNames.push(Buffer.from(key.subarray(XATTR_KEY_PREFIX.length)));
      } else if (key.equals(SIZE_KEY) && /^\d+$/.test(value.toString('latin1'))) {
        this.#pendingSize = BigInt(value.toString('latin1'));
      }
    }
  }

  #take(length: number): Buffer {
    const all = this.#buffer.length === 1 ? this.#buffer[0]! : Buffer.concat(this.#buffer);
    const head = all.subarray(0, length);
    const rest = all.subarray(length);
    this.#buffer = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return head;
  }
}

// Octal, or GNU base-256 when the first byte has its high bit set.
function parseSize(field: Buffer): bigint | undefined {
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let value = BigInt((field[0] ?? 0) & 0x7f);
    for (const byte of field.subarray(1)) value = (value << 8n) | BigInt(byte);
    return value;
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (text === '') return 0n;
  return /^[0-7]+$/.test(text) ? BigInt(`0o${text}`) : undefined;
}
