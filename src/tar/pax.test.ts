import { describe, expect, it } from 'vitest';
import { OverlaydiffError } from '../errors.js';
import { encodePaxRecord, encodePaxRecords } from './pax.js';
import { Rng } from '../../fixtures/prng.js';

// A strict reader of PAX records (as GNU tar's xheader.c): the length must be canonical decimal,
// cover the record exactly and end on '\n'; the key ends at the first '='.
function parseRecords(data: Buffer): [Buffer, Buffer][] {
  const records: [Buffer, Buffer][] = [];
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const digits = data.subarray(pos, space).toString('latin1');
    if (space < 0 || !/^[1-9][0-9]*$/.test(digits)) throw new Error(`bad length at ${pos}`);
    const end = pos + Number(digits);
    if (end > data.length || data[end - 1] !== 0x0a) throw new Error(`record at ${pos} does not end on '\\n'`);
    const body = data.subarray(space + 1, end - 1);
    const eq = body.indexOf(0x3d);
    if (eq <= 0) throw new Error(`record at ${pos} has no key`);
    records.push([body.subarray(0, eq), body.subarray(eq + 1)]);
    pos = end;
  }
  return records;
}

// The shortest n with n = rest + digits(n), computed the slow, obvious way.
function shortestSelfCountingLength(rest: number): number {
  for (let n = rest + 1; ; n++) if (n === rest + String(n).length) return n;
}

const KEY_ALPHABET = Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/ \n\xff', 'latin1');

describe('encodePaxRecord', () => {
  it('encodes a short text record with its total length first', () => {
    expect(encodePaxRecord(Buffer.from('path'), Buffer.from('abc')).toString('latin1')).toBe('12 path=abc\n');
  });

  it('stays at one digit for a 9-byte record and carries to 11 when the digit count grows past 9', () => {
    // Key 'k' + value n bytes + ' ', '=', '\n': 9 total fits one digit; one byte more cannot be
    // "10" (that needs 2 digits, making 11).
    expect(encodePaxRecord(Buffer.from('k'), Buffer.from('vvvv')).toString('latin1')).toBe('9 k=vvvv\n');
    expect(encodePaxRecord(Buffer.from('k'), Buffer.from('vvvvv')).toString('latin1')).toBe('11 k=vvvvv\n');
  });

  it('stays at 99 and carries to 101 when the digit count grows past 99', () => {
    const at99 = encodePaxRecord(Buffer.from('k'), Buffer.alloc(93, 'v'));
    const past99 = encodePaxRecord(Buffer.from('k'), Buffer.alloc(94, 'v'));
    expect(at99.length).toBe(99);
    expect(at99.subarray(0, 3).toString('latin1')).toBe('99 ');
    expect(past99.length).toBe(101);
    expect(past99.subarray(0, 4).toString('latin1')).toBe('101 ');
  });

  it('picks the shorter length when two are self-consistent (99 rather than 100)', () => {
    // 97 other bytes: "99" + 97 and "100" + 97 both count themselves; readers accept both, the
    // shorter one is what GNU tar, Go and Python write.
    const record = encodePaxRecord(Buffer.from('key'), Buffer.alloc(91, 'v'));
    expect(record.length).toBe(99);
  });

  it('never produces a length that is a power of ten from 10 to 10000', () => {
    const lengths = new Set<number>();
    for (let valueLength = 1; valueLength < 10_050; valueLength++) {
      lengths.add(encodePaxRecord(Buffer.from('k'), Buffer.alloc(valueLength, 'v')).length);
    }
    expect([10, 100, 1000, 10_000].filter((n) => lengths.has(n))).toEqual([]);
    expect([9, 11, 99, 101, 999, 1001, 9999, 10_001].filter((n) => !lengths.has(n))).toEqual([]);
  });

  it('copies a binary value with NUL, newline, "=" and invalid UTF-8 byte for byte', () => {
    const value = Buffer.from([0x00, 0x0a, 0x3d, 0xff, 0xfe, 0xc3, 0x28, 0x0a, 0x00]);
    const record = encodePaxRecord(Buffer.from('SCHILY.xattr.security.capability'), value);
    expect(parseRecords(record)).toEqual([[Buffer.from('SCHILY.xattr.security.capability'), value]]);
    expect(record.subarray(record.length - 1 - value.length, record.length - 1).equals(value)).toBe(true);
  });

  it('copies a key with non-UTF-8 bytes byte for byte', () => {
    const key = Buffer.concat([Buffer.from('SCHILY.xattr.user.'), Buffer.from([0xff, 0xfe])]);
    expect(parseRecords(encodePaxRecord(key, Buffer.from('v')))).toEqual([[key, Buffer.from('v')]]);
  });

  it('refuses an empty value, since PAX reads it as deleting the key', () => {
    expect(() => encodePaxRecord(Buffer.from('SCHILY.xattr.user.x'), Buffer.alloc(0))).toThrow(/empty value/);
  });

  it.each([
    ['holding "="', Buffer.from('SCHILY.xattr.user.a=b')],
    ['holding NUL', Buffer.from('SCHILY.xattr.user.a\0b', 'latin1')],
    ['that is empty', Buffer.alloc(0)],
  ])('refuses a key %s with E_UNREPRESENTABLE', (_, key) => {
    let caught: unknown;
    try {
      encodePaxRecord(key, Buffer.from('v'));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(OverlaydiffError);
    expect(caught).toMatchObject({ code: 'E_UNREPRESENTABLE' });
  });
});

describe('encodePaxRecords', () => {
  it('concatenates records in the given order', () => {
    const records = [
      [Buffer.from('path'), Buffer.from('a')],
      [Buffer.from('uid'), Buffer.from('3000000')],
      [Buffer.from('path'), Buffer.from('b')],
    ] as const;
    expect(encodePaxRecords(records).toString('latin1')).toBe('9 path=a\n15 uid=3000000\n9 path=b\n');
  });

  it('encodes no records as no bytes', () => {
    expect(encodePaxRecords([]).length).toBe(0);
  });

  it('has a length prefix that counts the whole record for random binary keys and values (seeded)', () => {
    const rng = new Rng(0x5eed);
    const random = (): number => rng.next();
    const pick = (n: number): number => Math.floor(random() * n);
    // Value lengths cluster around the digit carries, plus a tail of long values.
    const carries = [9, 99, 999, 9999, 99999];
    const failures: string[] = [];
    // Values are random slices of one pool biased toward the bytes that break naive encoders:
    // NUL, '\n', '=', and high bytes.
    const pool = Buffer.alloc(200_000);
    for (let j = 0; j < pool.length; j++) {
      const r = random();
      pool[j] = r < 0.15 ? 0x00 : r < 0.3 ? 0x0a : r < 0.35 ? 0x3d : pick(256);
    }
    for (let i = 0; i < 3000; i++) {
      const keyLength = 1 + pick(40);
      const key = Buffer.from(Array.from({ length: keyLength }, () => KEY_ALPHABET[pick(KEY_ALPHABET.length)] ?? 0x61));
      const near = carries[pick(carries.length)] ?? 9;
      const valueLength = Math.max(1, i % 20 === 0 ? 1 + pick(70_000) : near - keyLength - 8 + pick(12));
      const start = pick(pool.length - valueLength);
      const value = pool.subarray(start, start + valueLength);
      const record = encodePaxRecord(key, value);
      const prefix = record.subarray(0, record.indexOf(0x20)).toString('latin1');
      const parsed = parseRecords(record);
      // Buffer.equals, not toEqual: deep-comparing 70 kB buffers element by element is slow.
      const ok =
        Number(prefix) === record.length &&
        record.length === shortestSelfCountingLength(record.length - prefix.length) &&
        parsed.length === 1 &&
        parsed[0]?.[0].equals(key) === true &&
        parsed[0][1].equals(value);
      if (!ok) failures.push(`case ${i}: key ${keyLength} B, value ${valueLength} B, prefix ${prefix}`);
    }
    expect(failures).toEqual([]);
  });

  it('parses back record by record for a random sequence of records (seeded)', () => {
    const rng = new Rng(42);
    const random = (): number => rng.next();
    const records = Array.from({ length: 200 }, (_, i) => {
      const key = Buffer.from(`SCHILY.xattr.user.k${i}`);
      const value = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256)));
      return [key, value] as const;
    });
    expect(parseRecords(encodePaxRecords(records))).toEqual(records.map(([k, v]) => [k, v]));
  });
});
