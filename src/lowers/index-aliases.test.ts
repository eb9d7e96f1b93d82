import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { file } from '../../fixtures/entries.js';
import { tempDir, writeTree, type Node } from '../../fixtures/disk-tree.js';
import { dialectFor, type Dialect } from '../classify/namespace.js';
import type { FsEntry } from '../types.js';
import { fileHandle } from '../fsio/file-handle.js';
import { indexAliases, indexedEntry } from './index-aliases.js';
import { MergedLowers } from './merged-lowers.js';
import { WorkdirIndex } from './workdir-index.js';

// Plain directories stand in for the lowers, the upperdir and the workdir (no mount, no root): the
// index entry is named the way the kernel names it, by the hex of the lower inode's file handle.
const user = dialectFor('user');
const b = (s: string): Buffer => Buffer.from(s);
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('index-aliases');
});
afterEach(() => tmp.remove());

/**
 * A lower holding one hardlink set (d/h4, h1, h2, h3) and an unrelated file, an index holding a copy of
 * the set's inode, and `upper`: the aliases indexAliases finds.
 */
function aliases(upper: Record<string, Node>, o: { copy?: Node; dialect?: Dialect } = {}): FsEntry[] {
  const dialect = o.dialect ?? user;
  const lower = join(tmp.path, 'lower');
  writeTree(lower, {
    h1: 'data',
    h2: { type: 'hardlink', target: 'h1' },
    h3: { type: 'hardlink', target: 'h1' },
    'd/h4': { type: 'hardlink', target: 'h1' },
    other: 'o',
  });
  // A second lower with the same directory and names: each merged name is listed once.
  writeTree(join(tmp.path, 'lower2'), { 'd/h4': 'hidden below', other: 'o' });
  writeTree(join(tmp.path, 'upper'), { '.': { type: 'dir' }, ...upper });
  const handle = fileHandle(b(join(lower, 'h1')));
  if (handle === undefined) throw new Error('this filesystem has no file handles');
  // struct ovl_fb: version 0, magic 0xfb, total length, flags 0, handle type, a 16-byte uuid, then the fid.
  const fb = Buffer.concat([Buffer.from([0, 0xfb, 21 + handle.fid.length, 0, handle.type & 0xff]), Buffer.alloc(16), handle.fid]);
  writeTree(join(tmp.path, 'work/index'), { [fb.toString('hex')]: o.copy ?? { type: 'file', data: 'copied up', mode: 0o600 }, '#1f': 'a kernel temp file' });
  const index = new WorkdirIndex(b(join(tmp.path, 'work')), dialect);
  return indexAliases(index, new MergedLowers([b(lower), b(join(tmp.path, 'lower2'))], dialect), b(join(tmp.path, 'upper')), dialect);
}

const names = (entries: FsEntry[]): string[] => entries.map((e) => e.path.toString());

describe('indexAliases', () => {
  it('lists every lower name of the copied-up set that the upper leaves visible, in canonical order, as the copy', () => {
    const found = aliases({});
    expect(names(found)).toEqual(['d/h4', 'h1', 'h2', 'h3']);
    for (const e of found) {
      expect(e.absPath.toString()).toMatch(/\/work\/index\/00fb[0-9a-f]+$/);
      expect(e.stat.mode).toBe(0o600);
      expect(e.data).toBeUndefined();
    }
  });

  it('leaves out names the upperdir has an entry for', () => {
    expect(names(aliases({ h1: 'new', h3: { type: 'dir' } }))).toEqual(['d/h4', 'h2']);
  });

  it('walks an upper directory that merges with the lowers, but not an opaque or renamed one or a non-directory', () => {
    expect(names(aliases({ d: { type: 'dir' } }))).toEqual(['d/h4', 'h1', 'h2', 'h3']);
    tmp.remove();
    expect(names(aliases({ d: { type: 'dir', xattrs: { 'user.overlay.opaque': 'y' } } }))).toEqual(['h1', 'h2', 'h3']);
    tmp.remove();
    expect(names(aliases({ d: { type: 'dir', xattrs: { 'user.overlay.redirect': 'elsewhere' } } }))).toEqual(['h1', 'h2', 'h3']);
    tmp.remove();
    expect(names(aliases({ d: 'a file' }))).toEqual(['h1', 'h2', 'h3']);
  });

  it('treats the other namespace’s opaque attribute on an upper dir as data', () => {
    const d: Node = { type: 'dir', xattrs: { 'user.overlay.opaque': 'y' } };
    expect(names(aliases({ d }, { dialect: dialectFor('trusted') }))).toEqual(['d/h4', 'h1', 'h2', 'h3']);
  });

  it('reads the data of a metacopy copy from the lower name it stands for', () => {
    const found = aliases({ h2: 'x', h3: 'x' }, { copy: { type: 'file', data: '\0\0\0\0', mode: 0o640, xattrs: { 'user.overlay.metacopy': '' } } });
    expect(found.map((e) => [e.path.toString(), e.stat.mode, e.data?.absPath.toString()])).toEqual([
      ['d/h4', 0o640, join(tmp.path, 'lower/d/h4')],
      ['h1', 0o640, join(tmp.path, 'lower/h1')],
    ]);
  });
});

describe('indexedEntry', () => {
  const lower = file('f', 'data', { ino: 5n, dev: 9n });

  it('takes the copy’s stat, xattrs and absPath, keeping the merged path', () => {
    const copy = { ...file('index/x', 'new data', { mode: 0o600, xattrs: { 'user.k': 'v' } }), linkTarget: b('t') };
    const entry = indexedEntry(b('f'), lower, copy, user);
    expect(entry).toEqual({ path: b('f'), absPath: copy.absPath, stat: copy.stat, xattrs: copy.xattrs, linkTarget: b('t') });
  });

  it('reads a metacopy copy’s data from the lower, or from the lower’s own data source', () => {
    const copy = file('index/x', 'data', { xattrs: { 'user.overlay.metacopy': '' } });
    expect(indexedEntry(b('f'), lower, copy, user).data).toEqual({ absPath: lower.absPath, dev: 9n, ino: 5n });
    const source = { absPath: b('/deeper/f'), dev: 1n, ino: 2n };
    expect(indexedEntry(b('f'), { ...lower, data: source }, copy, user).data).toEqual(source);
  });

  it('ignores the other namespace’s metacopy attribute on the copy', () => {
    const copy = file('index/x', 'data', { xattrs: { 'trusted.overlay.metacopy': '' } });
    expect(indexedEntry(b('f'), lower, copy, user).data).toBeUndefined();
  });
});
