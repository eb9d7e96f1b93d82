// Encodes POSIX PAX extended-header records from raw key and value bytes to record bytes (pure).
import { OverlaydiffError, displayPath } from '../errors.js';

const EQUALS = 0x3d;
const NUL = 0x00;
const SPACE = Buffer.from(' ');
const SEPARATOR = Buffer.from('=');
const NEWLINE = Buffer.from('\n');
/** Bytes of a record besides the length digits, the key and the value: ' ', '=' and '\n'. */
const RECORD_PUNCTUATION = SPACE.length + SEPARATOR.length + NEWLINE.length;

/**
 * Encodes one record, `"<len> <key>=<value>\n"`, where `len` is the decimal byte length of the
 * whole record, its own digits included. Of the lengths that satisfy this (a record whose other
 * bytes number 97 could say 99 or 100) it picks the shortest, as GNU tar, Go and Python do, so
 * the same key and value always give the same bytes.
 *
 * Key and value are copied byte for byte and never decoded as text: a value may hold NUL,
 * newline or invalid UTF-8 (readers split records by the length, not by the newline).
 *
 * Throws `E_UNREPRESENTABLE` for an empty key, a key holding '=' (readers end the key at the
 * first '=') or NUL, and an empty value (POSIX reads `"<len> key=\n"` as "delete key", so an
 * empty value cannot be stored).
 */
export function encodePaxRecord(key: Buffer, value: Buffer): Buffer {
  if (key.length === 0 || key.includes(EQUALS) || key.includes(NUL)) {
    throw new OverlaydiffError('E_UNREPRESENTABLE', `PAX record key "${displayPath(key)}" is empty or holds '=' or NUL; a PAX header cannot carry it`);
  }
  if (value.length === 0) {
    throw new OverlaydiffError(
      'E_UNREPRESENTABLE',
      `PAX record "${displayPath(key)}" has an empty value, which PAX reads as deleting the key; leave the record out instead`,
    );
  }
  const length = selfCountingLength(key.length + value.length + RECORD_PUNCTUATION);
  return Buffer.concat([Buffer.from(`${length} `, 'latin1'), key, SEPARATOR, value, NEWLINE]);
}

/**
 * Encodes the records in the given order, concatenated (the data of one PAX 'x' member, before
 * block padding). Readers apply records in order, so a later record for a key wins.
 */
export function encodePaxRecords(records: readonly (readonly [key: Buffer, value: Buffer])[]): Buffer {
  return Buffer.concat(records.map(([key, value]) => encodePaxRecord(key, value)));
}

/**
 * The smallest `n` with `n = rest + digits(n)`. Adding the digits can carry into one more digit
 * (rest 9: 9 + 1 = 10 needs two digits, so 11; rest 98: 100 needs three, so 101), hence a
 * fixed-point search upward from the smallest candidate; it settles within two steps.
 */
function selfCountingLength(rest: number): number {
  let length = rest + 1;
  while (rest + decimalDigits(length) !== length) length = rest + decimalDigits(length);
  return length;
}

function decimalDigits(n: number): number {
  return String(n).length;
}
