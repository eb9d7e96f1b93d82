import { describe, expect, it } from 'vitest';
import { stat as fsStat, type EntryOptions } from '../../fixtures/entries.js';
import type { FsStat } from '../types.js';
import { HardlinkTable } from './hardlinks.js';

const b = (s: string): Buffer => Buffer.from(s);
const linked = (o: EntryOptions = {}): FsStat => fsStat('file', { dev: 1n, ino: 10n, nlink: 2n, ...o });
const target = (t: HardlinkTable, path: string, s: FsStat, outside?: 'any' | 'index'): string | undefined => t.linkTargetFor(b(path), s, outside)?.toString();
const incomplete = (t: HardlinkTable): [string, bigint, number][] => [...t.incompleteSets()].map((s) => [s.path.toString(), s.nlink, s.names]);

describe('HardlinkTable.linkTargetFor', () => {
  it('links every later name of an inode to the first name seen', () => {
    const t = new HardlinkTable();
    const s = linked({ nlink: 3n });
    expect(target(t, 'a', s)).toBeUndefined();
    expect(target(t, 'b', s)).toBe('a');
    expect(target(t, 'c', s)).toBe('a');
  });

  it('never links a file with one link, or a directory', () => {
    const t = new HardlinkTable();
    expect(target(t, 'a', linked({ nlink: 1n }))).toBeUndefined();
    expect(target(t, 'b', linked({ nlink: 1n }))).toBeUndefined();
    expect(target(t, 'd', fsStat('dir', { dev: 1n, ino: 20n, nlink: 3n }))).toBeUndefined();
    expect(target(t, 'e', fsStat('dir', { dev: 1n, ino: 20n, nlink: 3n }))).toBeUndefined();
  });

  it('keys by device and inode: the same inode number on another device is another file', () => {
    const t = new HardlinkTable();
    expect(target(t, 'a', linked({ dev: 1n }))).toBeUndefined();
    expect(target(t, 'b', linked({ dev: 2n }))).toBeUndefined();
    expect(target(t, 'c', linked({ dev: 2n }))).toBe('b');
  });

  it('tells inode numbers above 2^53 apart (overlay xino sets high bits)', () => {
    const t = new HardlinkTable();
    const high = 2n ** 53n;
    expect(target(t, 'a', linked({ ino: high }))).toBeUndefined();
    expect(target(t, 'b', linked({ ino: high + 1n }))).toBeUndefined();
    expect(target(t, 'c', linked({ ino: high + 1n }))).toBe('b');
  });

  it('links an index=on alias even when its inode has a single link left', () => {
    const t = new HardlinkTable();
    expect(target(t, 'a', linked({ nlink: 1n }), 'index')).toBeUndefined();
    expect(target(t, 'b', linked({ nlink: 1n }), 'index')).toBe('a');
  });
});

describe('HardlinkTable.incompleteSets', () => {
  it('reports a set whose link count exceeds the names seen', () => {
    const t = new HardlinkTable();
    target(t, 'a', linked({ nlink: 3n }));
    target(t, 'b', linked({ nlink: 3n }));
    target(t, 'x', linked({ ino: 11n, nlink: 2n }));
    target(t, 'y', linked({ ino: 11n, nlink: 2n }));
    expect(incomplete(t)).toEqual([['a', 3n, 2]]);
  });

  it('counts the index copy as one link outside the tree', () => {
    const t = new HardlinkTable();
    target(t, 'a', linked({ nlink: 3n }), 'index');
    target(t, 'b', linked({ nlink: 3n }), 'index');
    expect(incomplete(t)).toEqual([]);
    // The index copy counts whichever name of the set is the alias.
    target(t, 'c', linked({ ino: 11n, nlink: 3n }), 'index');
    target(t, 'd', linked({ ino: 11n, nlink: 3n }));
    target(t, 'g', linked({ ino: 13n, nlink: 3n }));
    target(t, 'h', linked({ ino: 13n, nlink: 3n }), 'index');
    expect(incomplete(t)).toEqual([]);
    target(t, 'e', linked({ ino: 12n, nlink: 4n }), 'index');
    target(t, 'f', linked({ ino: 12n, nlink: 4n }));
    expect(incomplete(t)).toEqual([['e', 4n, 2]]);
  });

  it('never reports a set some of whose links may lie anywhere outside the tree', () => {
    const t = new HardlinkTable();
    target(t, 'a', linked({ nlink: 5n }));
    target(t, 'b', linked({ nlink: 5n }), 'any');
    target(t, 'x', linked({ ino: 11n, nlink: 5n }), 'any');
    expect(incomplete(t)).toEqual([]);
  });
});
