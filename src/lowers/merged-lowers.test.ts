import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, writeTree, type Node } from '../../fixtures/disk-tree.js';
import { dialectFor } from '../classify/namespace.js';
import type { XattrNamespace } from '../types.js';
import { MergedLowers } from './merged-lowers.js';

// Plain directories stand in for lowerdirs (no mount, no root): user.* xattrs play the overlay
// attributes of a userxattr mount, and whiteouts are xattr whiteouts inside an opaque=x dir.
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('merged-lowers');
});
afterEach(() => tmp.remove());

const b = (s: string): Buffer => Buffer.from(s);
const OPAQUE = { 'user.overlay.opaque': 'y' };
const XATTR_WHITEOUT: Node = { type: 'file', xattrs: { 'user.overlay.whiteout': '' } };

/** Lowers written topmost first, as `--lower` lists them. */
function lowers(layers: Record<string, Node>[], ns: XattrNamespace = 'user'): MergedLowers {
  const dirs = layers.map((nodes, i) => {
    const dir = join(tmp.path, `L${i}`);
    writeTree(dir, { '.': { type: 'dir' }, ...nodes });
    return b(dir);
  });
  return new MergedLowers(dirs, dialectFor(ns));
}

/** "L<i>/path" of the visible entry, or undefined: where the merged view finds `path`. */
function whereIs(m: MergedLowers, path: string): string | undefined {
  const hit = m.lookup(b(path));
  return hit === undefined ? undefined : `L${hit.layer}/${hit.absPath.subarray(tmp.path.length + 1 + `L${hit.layer}/`.length).toString()}`;
}

describe('MergedLowers.lookup', () => {
  it('takes a name from the topmost lower that has it', () => {
    const m = lowers([{ f: 'top' }, { f: 'bottom', g: 'only below' }]);
    expect(whereIs(m, 'f')).toBe('L0/f');
    expect(whereIs(m, 'g')).toBe('L1/g');
    expect(whereIs(m, 'missing')).toBeUndefined();
    expect(whereIs(m, '')).toBeUndefined();
  });

  it('sees a dangling symlink (lstat semantics)', () => {
    const m = lowers([{ dl: { type: 'symlink', target: '/nonexistent' } }]);
    expect(m.lookup(b('dl'))?.stat.type).toBe('symlink');
  });

  it('hides every lower below an xattr whiteout in an opaque=x directory', () => {
    const m = lowers([
      { d: { type: 'dir', xattrs: { 'user.overlay.opaque': 'x' } }, 'd/gone': XATTR_WHITEOUT },
      { 'd/gone': 'x', 'd/kept': 'k' },
    ]);
    expect(whereIs(m, 'd/gone')).toBeUndefined();
    expect(whereIs(m, 'd/kept')).toBe('L1/d/kept');
  });

  it('reads the whiteout attribute only in a directory marked opaque=x', () => {
    const m = lowers([{ d: { type: 'dir' }, 'd/f': XATTR_WHITEOUT }, { 'd/f': 'below' }]);
    expect(whereIs(m, 'd/f')).toBe('L0/d/f');
  });

  it('merges a directory with the directories below it', () => {
    const m = lowers([{ d: { type: 'dir' }, 'd/a': 'a' }, { 'd/b': 'b' }, { 'd/c': 'c' }]);
    expect(['d/a', 'd/b', 'd/c'].map((p) => whereIs(m, p))).toEqual(['L0/d/a', 'L1/d/b', 'L2/d/c']);
    expect(m.dirLayers(b('d')).map((l) => l.layer)).toEqual([0, 1, 2]);
  });

  it('stops merging at an opaque directory of the mount’s namespace', () => {
    const m = lowers([{ d: { type: 'dir', xattrs: OPAQUE } }, { 'd/x': 'x' }]);
    expect(whereIs(m, 'd/x')).toBeUndefined();
    expect(m.dirLayers(b('d')).map((l) => l.layer)).toEqual([0]);
  });

  it('treats the other namespace’s opaque attribute as plain data', () => {
    const m = lowers([{ d: { type: 'dir', xattrs: OPAQUE } }, { 'd/x': 'x' }], 'trusted');
    expect(whereIs(m, 'd/x')).toBe('L1/d/x');
  });

  it('stops merging at a non-directory: a file in a higher lower hides the directory below', () => {
    const m = lowers([{ d: 'a file' }, { 'd/x': 'x' }]);
    expect(whereIs(m, 'd')).toBe('L0/d');
    expect(whereIs(m, 'd/x')).toBeUndefined();
    expect(m.dirLayers(b('d'))).toEqual([]);
  });

  it('merges a renamed directory with its origin: a relative redirect names a sibling', () => {
    const m = lowers([{ new: { type: 'dir', xattrs: { 'user.overlay.redirect': 'old' } }, 'new/top': 't' }, { 'old/f': 'data' }]);
    expect(whereIs(m, 'new/f')).toBe('L1/old/f');
    expect(whereIs(m, 'new/top')).toBe('L0/new/top');
  });

  it('follows an absolute redirect from the root of the layers below', () => {
    const m = lowers([{ 'a/new': { type: 'dir', xattrs: { 'user.overlay.redirect': '/b/old' } } }, { 'b/old/f': 'data', 'a/new/decoy': 'd' }]);
    expect(whereIs(m, 'a/new/f')).toBe('L1/b/old/f');
    expect(whereIs(m, 'a/new/decoy')).toBeUndefined();
  });

  it('keeps answering right when the walk moves between sibling directories (the cached chain)', () => {
    const m = lowers([
      { 'a/b/x': '1', 'a/c/y': '2' },
      { 'a/b/z': '3', 'a/c': 'file below' },
    ]);
    expect(whereIs(m, 'a/b/x')).toBe('L0/a/b/x');
    expect(whereIs(m, 'a/c/y')).toBe('L0/a/c/y');
    expect(whereIs(m, 'a/b/z')).toBe('L1/a/b/z');
    expect(whereIs(m, 'a/c/z')).toBeUndefined();
    expect(m.dirLayers(b('a/c')).map((l) => l.layer)).toEqual([0]);
  });
});

describe('MergedLowers.read', () => {
  const META = { 'user.overlay.metacopy': '' };

  it('reads the entry with its xattrs and symlink target', () => {
    const m = lowers([{ f: { type: 'file', data: 'x', xattrs: { 'user.k': 'v' } }, l: { type: 'symlink', target: 't' } }]);
    expect(m.read(b('f'))?.xattrs).toEqual([{ name: b('user.k'), value: b('v') }]);
    expect(m.read(b('l'))?.linkTarget).toEqual(b('t'));
    expect(m.read(b('none'))).toBeUndefined();
  });

  it('finds the data of a metacopy file below it, following a chain of metacopy copies', () => {
    const m = lowers([
      { f: { type: 'file', data: '\0\0\0\0', mode: 0o600, xattrs: META } },
      { f: { type: 'file', data: '\0\0\0\0', xattrs: META } },
      { f: 'data' },
    ]);
    const entry = m.read(b('f'));
    expect(entry?.stat.mode).toBe(0o600);
    expect(entry?.data?.absPath.toString()).toBe(join(tmp.path, 'L2/f'));
  });

  it('finds the data of a renamed metacopy file at its redirect', () => {
    const m = lowers([{ g: { type: 'file', data: '\0\0\0\0', xattrs: { ...META, 'user.overlay.redirect': 'f' } } }, { f: 'data' }]);
    expect(m.read(b('g'))?.data?.absPath.toString()).toBe(join(tmp.path, 'L1/f'));
  });

  it('follows a redirect met further down a metacopy chain', () => {
    const m = lowers([
      { g: { type: 'file', data: '\0\0\0\0', xattrs: { ...META, 'user.overlay.redirect': 'f' } } },
      { f: { type: 'file', data: '\0\0\0\0', xattrs: { ...META, 'user.overlay.redirect': 'e' } }, g: 'decoy' },
      { e: 'data', f: 'decoy' },
    ]);
    expect(m.read(b('g'))?.data?.absPath.toString()).toBe(join(tmp.path, 'L2/e'));
  });

  it('refuses a metacopy file whose data is missing, not a file, or of another size', () => {
    const meta: Node = { type: 'file', data: '\0\0\0\0', xattrs: META };
    expect(() => lowers([{ f: meta }]).read(b('f'))).toThrow(/f: metacopy file whose data origin f in the lowers is not visible/);
    tmp.remove();
    expect(() => lowers([{ f: meta }, { 'f/x': 'dir below' }]).read(b('f'))).toThrow(/is not a regular file/);
    tmp.remove();
    expect(() => lowers([{ f: meta }, { f: 'longer data' }]).read(b('f'))).toThrow(/has 11 bytes, not 4/);
  });

  it('ignores the other namespace’s metacopy attribute', () => {
    expect(lowers([{ f: { type: 'file', data: 'x', xattrs: META } }], 'trusted').read(b('f'))?.data).toBeUndefined();
  });
});
