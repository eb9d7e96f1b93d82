import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getXattr, readXattrs, setXattr } from './xattr.js';

// tmpfs holds user xattr values and name lists far beyond the addon's 4 KiB stack buffer (ext4 does not).
const SHM = '/dev/shm';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(existsSync(SHM) ? SHM : '/tmp', 'overlaydiff-xattr-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(existsSync(SHM))('the xattr addon beyond its stack buffer', () => {
  it('reads a value and a name list larger than 4 KiB whole', () => {
    const file = Buffer.from(join(dir, 'f'));
    writeFileSync(file, '');
    const big = Buffer.alloc(20_000, 0x76);
    setXattr(file, Buffer.from('user.big'), big);
    const names = Array.from({ length: 300 }, (_, i) => `user.name-${String(i).padStart(4, '0')}`);
    for (const name of names) setXattr(file, Buffer.from(name), Buffer.from('x'));
    expect(getXattr(file, Buffer.from('user.big'))).toEqual(big);
    const all = readXattrs(file);
    expect(all.map((x) => x.name.toString()).sort()).toEqual(['user.big', ...names].sort());
    expect(all.find((x) => x.name.toString() === 'user.big')?.value).toEqual(big);
  });
});
