import { describe, expect, it } from 'vitest';
import { dir, file, opaque, socket, symlink, whiteout, type EntryOptions } from '../../fixtures/entries.js';
import { classifyEntry, type ClassifyContext, type ContentCheck } from './classify-entry.js';
import type { Change, FsEntry, XattrNamespace } from '../types.js';
import { dialectFor } from './namespace.js';
import { isOpaqueDir } from './opaque.js';

const lowerFile: FsEntry = file('lower-f', 'lower', { mode: 0o600 });
const lowerDir = (o: EntryOptions = {}): FsEntry => dir('lower-d', o);
const kinds = (changes: (Change | ContentCheck)[]): string[] => changes.map((c) => c.kind);

// Every rule holds in both dialects, and in each the other namespace's overlay attributes are ordinary data.
describe.each<[XattrNamespace, XattrNamespace]>([
  ['trusted', 'user'],
  ['user', 'trusted'],
])('classifyEntry (%s namespace)', (ns, other) => {
  const ctx: ClassifyContext = { dialect: dialectFor(ns), parentHasXattrWhiteouts: false, hidesLowers: false };
  const hiding = { ...ctx, hidesLowers: true };
  const inXattrWhiteoutDir = { ...ctx, parentHasXattrWhiteouts: true };
  // What the walk passes: a dir hides the lowers when it is opaque in the mount's own namespace.
  const asWalked = (e: FsEntry): ClassifyContext => ({ ...ctx, hidesLowers: isOpaqueDir(e.xattrs, ctx.dialect) });

  it('emits a whiteout only when the lower name is visible', () => {
    expect(kinds(classifyEntry(whiteout('gone'), lowerFile, ctx))).toEqual(['delete']);
    expect(classifyEntry(whiteout('never-there'), undefined, ctx)).toEqual([]);
  });

  it('treats a whiteout sharing an inode (nlink 3) as a whiteout, not a link', () => {
    expect(kinds(classifyEntry(whiteout('a', { nlink: 3n, ino: 7n }), lowerFile, ctx))).toEqual(['delete']);
  });

  it('marks a dir that hides the lowers as opaque only when the lowers have a directory there', () => {
    expect(kinds(classifyEntry(opaque('d', ns), lowerDir(), asWalked(opaque('d', ns))))).toEqual(['modify', 'opaque']);
    expect(kinds(classifyEntry(opaque('newdir', ns), undefined, hiding))).toEqual(['add']);
    expect(kinds(classifyEntry(opaque('was-a-file', ns), lowerFile, hiding))).toEqual(['add']);
  });

  it(`keeps ${other}.overlay.opaque=y as plain data: no opaque marker, and the dir is needed only as a parent`, () => {
    const d = opaque('d', other);
    expect(kinds(classifyEntry(d, lowerDir(), asWalked(d)))).toEqual(['parent']);
    expect(kinds(classifyEntry(d, lowerDir({ xattrs: { [`${other}.overlay.opaque`]: 'y' } }), asWalked(d)))).toEqual(['parent']);
  });

  it('recreates a hiding dir that drops a lower xattr (delete, then add)', () => {
    expect(kinds(classifyEntry(opaque('d', ns), lowerDir({ xattrs: { 'user.tag': 'v' } }), hiding))).toEqual(['delete', 'add']);
    expect(kinds(classifyEntry(dir('d'), lowerDir(), { ...ctx, recreated: true }))).toEqual(['delete', 'add']);
  });

  it('keeps a copied-up dir with unchanged metadata only as a parent', () => {
    expect(kinds(classifyEntry(dir('d'), lowerDir(), ctx))).toEqual(['parent']);
    expect(kinds(classifyEntry(dir('d', { mode: 0o700 }), lowerDir(), ctx))).toEqual(['modify']);
    expect(kinds(classifyEntry(dir('d', { xattrs: { 'user.tag': 'v' } }), lowerDir(), ctx))).toEqual(['modify']);
  });

  it('compares dir xattrs without the overlay-private ones of either namespace', () => {
    const copiedUp = dir('d', { xattrs: { [`${ns}.overlay.origin`]: 'o', [`${ns}.overlay.impure`]: 'y', [`${other}.overlay.origin`]: 'x' } });
    expect(kinds(classifyEntry(copiedUp, lowerDir(), ctx))).toEqual(['parent']);
  });

  it('recognises an xattr whiteout only inside an opaque=x directory', () => {
    const xw = file('w', '', { xattrs: { [`${ns}.overlay.whiteout`]: '' } });
    expect(kinds(classifyEntry(xw, lowerFile, inXattrWhiteoutDir))).toEqual(['delete']);
    expect(classifyEntry(xw, undefined, inXattrWhiteoutDir)).toEqual([]);
    expect(kinds(classifyEntry(xw, lowerFile, ctx))).toEqual(['modify']);
  });

  it('finds the whiteout attribute among other xattrs, and only on an empty regular file', () => {
    const among = file('w', '', { xattrs: { 'a.first': '1', [`${ns}.overlay.whiteout`]: '', 'zz.last': '2' } });
    expect(kinds(classifyEntry(among, lowerFile, inXattrWhiteoutDir))).toEqual(['delete']);
    const withData = file('w', 'x', { xattrs: { [`${ns}.overlay.whiteout`]: '' } });
    expect(kinds(classifyEntry(withData, lowerFile, inXattrWhiteoutDir))).toEqual(['modify']);
  });

  it(`keeps ${other}.overlay.whiteout as plain data, even inside an opaque=x directory`, () => {
    const xw = file('w', '', { xattrs: { [`${other}.overlay.whiteout`]: '' } });
    expect(kinds(classifyEntry(xw, lowerFile, inXattrWhiteoutDir))).toEqual(['modify']);
    expect(kinds(classifyEntry(xw, undefined, inXattrWhiteoutDir))).toEqual(['add']);
  });

  it('turns a socket that hides a lower entry into a whiteout, and drops other sockets', () => {
    expect(kinds(classifyEntry(socket('s'), lowerFile, ctx))).toEqual(['delete']);
    expect(classifyEntry(socket('s'), undefined, ctx)).toEqual([]);
  });

  it('skips a copied-up file whose metadata equals the lower and whose mtime has nanoseconds', () => {
    const o = { mtimeNs: 1_600_000_000_123_456_789n, ino: 1n };
    expect(classifyEntry(file('f', 'same', o), file('f', 'same', { ...o, ino: 2n }), ctx)).toEqual([]);
  });

  it('asks for a content check when the equal mtimes are whole seconds', () => {
    const o = { mtimeNs: 1_600_000_000_000_000_000n };
    expect(kinds(classifyEntry(file('f', 'same', o), file('f', 'same', o), ctx))).toEqual(['compare-content']);
  });

  it('emits a copied-up file that is part of a hardlink set even when unchanged', () => {
    expect(kinds(classifyEntry(file('s', 'x', { nlink: 2n }), file('s', 'x'), ctx))).toEqual(['modify']);
  });

  it('emits an unchanged copy-up of one name of a lower hardlink set (the copy-up broke the set)', () => {
    const o = { mtimeNs: 1_600_000_000_000_000_000n };
    expect(kinds(classifyEntry(file('d', 'v1', o), file('d', 'v1', { ...o, nlink: 2n }), ctx))).toEqual(['modify']);
  });

  it('emits a copied-up symlink retargeted with its mtime preserved', () => {
    expect(kinds(classifyEntry(symlink('l', 'new'), symlink('l', 'old'), ctx))).toEqual(['modify']);
    expect(classifyEntry(symlink('l', 'same'), symlink('l', 'same'), ctx)).toEqual([]);
  });

  it('adds new files and modifies replaced ones', () => {
    expect(kinds(classifyEntry(file('n', 'x'), undefined, ctx))).toEqual(['add']);
    expect(kinds(classifyEntry(symlink('l', 'x'), lowerFile, ctx))).toEqual(['modify']);
    expect(kinds(classifyEntry(dir('d'), lowerFile, ctx))).toEqual(['add']);
  });

  it('refuses an upper entry literally named .wh.*', () => {
    expect(() => classifyEntry(file('d/.wh.foo', 'x'), undefined, ctx)).toThrow(/\.wh\./);
  });

  it('classifies a regular file with a redirect but no metacopy by its own data (the redirect only tells where the name came from)', () => {
    const e = file('f', 'x', { xattrs: { [`${ns}.overlay.redirect`]: 'v' } });
    expect(kinds(classifyEntry(e, lowerFile, ctx))).toEqual(['modify']);
    expect(kinds(classifyEntry(e, undefined, ctx))).toEqual(['add']);
  });

  it('accepts a renamed directory and a renamed metacopy file (the walk and the lowers resolve them)', () => {
    const d = dir('d', { xattrs: { [`${ns}.overlay.redirect`]: 'old' } });
    expect(kinds(classifyEntry(d, undefined, ctx))).toEqual(['add']);
    const m = file('m', 'x', { xattrs: { [`${ns}.overlay.redirect`]: '/old', [`${ns}.overlay.metacopy`]: '' } });
    expect(kinds(classifyEntry(m, undefined, ctx))).toEqual(['add']);
  });

  it(`does not refuse ${other}.overlay.redirect (ordinary data copied up)`, () => {
    const e = file('f', 'x', { xattrs: { [`${other}.overlay.redirect`]: 'v' } });
    expect(kinds(classifyEntry(e, lowerFile, ctx))).toEqual(['modify']);
  });
});
