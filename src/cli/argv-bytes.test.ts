import { describe, expect, it } from 'vitest';
import { argumentBytes } from './argv-bytes.js';

const raw = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('argumentBytes', () => {
  it('returns the raw bytes of a non-UTF-8 argument that process.argv decoded lossily', () => {
    const dir = raw('/tmp/d', [0xff, 0xfe]);
    expect(argumentBytes(dir.toString('utf8'), [raw('apply'), raw('layer.tar'), dir])).toEqual(dir);
  });

  it('finds the value of --name=value, and keeps valid UTF-8 as it is', () => {
    const dir = raw('x', [0x80]);
    expect(argumentBytes(dir.toString('utf8'), [raw('--dir=', [0x78, 0x80])])).toEqual(dir);
    expect(argumentBytes('héllo', [])).toEqual(Buffer.from('héllo'));
  });

  it('refuses a lossy value that two different raw arguments decode to', () => {
    const a = raw('d', [0xff]);
    const b = raw('d', [0xfe]);
    expect(() => argumentBytes(a.toString('utf8'), [a, b])).toThrow(/more than one argument/);
  });
});
