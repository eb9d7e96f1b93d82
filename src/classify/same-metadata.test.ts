import { describe, expect, it } from 'vitest';
import { dir, file, symlink, whiteout, type EntryOptions } from '../../fixtures/entries.js';
import type { FsEntry } from '../types.js';
import { dropsXattrs, sameMetadata } from './same-metadata.js';

const base: EntryOptions = { mode: 0o644, uid: 1, gid: 2, mtimeNs: 1_600_000_000_123_456_789n, xattrs: { 'user.a': '1', 'security.capability': 'c' } };
const f = (o: EntryOptions = {}, content = 'data'): FsEntry => file('f', content, { ...base, ...o });

describe('sameMetadata', () => {
  it('is true for equal header fields, whatever the inode, device, link count and path', () => {
    expect(sameMetadata(f({ ino: 1n, dev: 1n, nlink: 1n }), f({ ino: 2n, dev: 3n, nlink: 4n }))).toBe(true);
    expect(sameMetadata(f(), { ...f(), path: Buffer.from('elsewhere'), absPath: Buffer.from('/lower/elsewhere') })).toBe(true);
  });

  it.each<[string, EntryOptions]>([
    ['mode', { mode: 0o600 }],
    ['uid', { uid: 9 }],
    ['gid', { gid: 9 }],
    ['mtime, to the nanosecond', { mtimeNs: 1_600_000_000_123_456_790n }],
    ['size', { size: 5n }],
    ['device major', { rdev: [1, 0] }],
    ['device minor', { rdev: [0, 1] }],
    ['an xattr value', { xattrs: { ...base.xattrs, 'user.a': '2' } }],
    ['a missing xattr', { xattrs: { 'user.a': '1' } }],
    ['an added xattr', { xattrs: { ...base.xattrs, 'user.b': '' } }],
  ])('is false when the %s differs', (_, o) => {
    expect(sameMetadata(f(o), f())).toBe(false);
    expect(sameMetadata(f(), f(o))).toBe(false);
  });

  it('is false across types, even with equal other fields', () => {
    expect(sameMetadata(dir('f', base), file('f', '', base))).toBe(false);
    expect(sameMetadata(whiteout('f', { mtimeNs: base.mtimeNs! }), file('f', '', { mode: 0, mtimeNs: base.mtimeNs! }))).toBe(false);
  });

  it('ignores the size of directories (it depends on the filesystem, not the content)', () => {
    expect(sameMetadata(dir('d', { ...base, size: 4096n }), dir('d', { ...base, size: 60n }))).toBe(true);
  });

  it('compares symlink targets byte for byte', () => {
    expect(sameMetadata(symlink('l', 'a', base), symlink('l', 'a', base))).toBe(true);
    expect(sameMetadata(symlink('l', 'a', base), symlink('l', 'b', base))).toBe(false);
    expect(sameMetadata(symlink('l', 'a', { ...base, size: 1n }), file('l', 'a', { ...base, size: 1n }))).toBe(false);
  });

  it('leaves out overlay-private xattrs of both namespaces and fuse-overlayfs', () => {
    const priv = { 'trusted.overlay.origin': 'o', 'user.overlay.impure': 'y', 'user.fuseoverlayfs.x': 'z', 'trusted.overlay.overlay.esc': 'e' };
    expect(sameMetadata(f({ xattrs: { ...base.xattrs, ...priv } }), f())).toBe(true);
    expect(sameMetadata(f(), f({ xattrs: { ...base.xattrs, ...priv } }))).toBe(true);
  });

  it('keeps xattrs that only look private (no namespace prefix match)', () => {
    expect(sameMetadata(f({ xattrs: { ...base.xattrs, 'user.overlayfoo': 'v' } }), f())).toBe(false);
    expect(sameMetadata(f({ xattrs: { ...base.xattrs, 'security.overlay.opaque': 'y' } }), f())).toBe(false);
  });
});

describe('dropsXattrs', () => {
  const d = (xattrs: Record<string, string>): FsEntry => dir('d', { xattrs });

  it('is true when the lower has a public xattr the upper lacks', () => {
    expect(dropsXattrs(d({ 'user.a': '1' }), d({ 'user.a': '1', 'user.b': '2' }))).toBe(true);
  });

  it('is false when the upper keeps every name, even with other values or extra names', () => {
    expect(dropsXattrs(d({ 'user.a': 'changed', 'user.new': 'n' }), d({ 'user.a': '1' }))).toBe(false);
    expect(dropsXattrs(d({}), d({}))).toBe(false);
  });

  it('ignores private xattrs the lower has (they never enter a layer)', () => {
    expect(dropsXattrs(d({}), d({ 'trusted.overlay.opaque': 'y', 'user.overlay.origin': 'o' }))).toBe(false);
  });
});
