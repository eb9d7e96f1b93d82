import { describe, expect, it } from 'vitest';
import { dir, file, opaque, socket, symlink, whiteout, xattrList, type EntryOptions } from '../../fixtures/entries.js';
import { classifyEntry, type ClassifyContext, type ContentCheck } from './classify-entry.js';
import type { Change, FsEntry } from '../types.js';
import { dialectFor } from './namespace.js';

const trusted: ClassifyContext = { dialect: dialectFor('trusted'), parentHasXattrWhiteouts: false, hidesLowers: false };
const user: ClassifyContext = { dialect: dialectFor('user'), parentHasXattrWhiteouts: false, hidesLowers: false };
const hiding = { ...trusted, hidesLowers: true };
const lowerFile: FsEntry = file('lower-f', 'lower', { mode: 0o600 });
const lowerDir = (o: EntryOptions = {}): FsEntry => dir('lower-d', o);
const kinds = (changes: (Change | ContentCheck)[]): string[] => changes.map((c) => c.kind);

describe('classifyEntry', () => {
  it('emits a whiteout only when the lower name is visible', () => {
    expect(kinds(classifyEntry(whiteout('gone'), lowerFile, trusted))).toEqual(['delete']);
    expect(classifyEntry(whiteout('never-there'), undefined, trusted)).toEqual([]);
  });

  it('treats a whiteout sharing an inode (nlink 3) as a whiteout, not a link', () => {
    expect(kinds(classifyEntry(whiteout('a', { nlink: 3n, ino: 7n }), lowerFile, trusted))).toEqual(['delete']);
  });

  it('marks a dir that hides the lowers as opaque only when the lowers have a directory there', () => {
    expect(kinds(classifyEntry(opaque('d'), lowerDir(), hiding))).toEqual(['modify', 'opaque']);
    expect(kinds(classifyEntry(opaque('newdir'), undefined, hiding))).toEqual(['add']);
    expect(kinds(classifyEntry(opaque('was-a-file'), lowerFile, hiding))).toEqual(['add']);
  });

  it('keeps an opaque attribute that does not hide the lowers as plain data (no marker)', () => {
    expect(kinds(classifyEntry(opaque('d', 'user'), lowerDir(), trusted))).toEqual(['parent']);
  });

  it('keeps a copied-up dir with unchanged metadata only as a parent', () => {
    expect(kinds(classifyEntry(dir('d'), lowerDir(), trusted))).toEqual(['parent']);
    expect(kinds(classifyEntry(dir('d', { mode: 0o700 }), lowerDir(), trusted))).toEqual(['modify']);
    expect(kinds(classifyEntry(dir('d', { xattrs: { 'user.tag': 'v' } }), lowerDir(), trusted))).toEqual(['modify']);
  });

  it('compares dir xattrs without the overlay-private ones', () => {
    const copiedUp = dir('d', { xattrs: { 'trusted.overlay.origin': 'o', 'trusted.overlay.impure': 'y' } });
    expect(kinds(classifyEntry(copiedUp, lowerDir(), trusted))).toEqual(['parent']);
  });

  it('recognises an xattr whiteout only inside an opaque=x directory', () => {
    const xw = file('w', '', { xattrs: { 'user.overlay.whiteout': '' } });
    expect(kinds(classifyEntry(xw, lowerFile, { ...user, parentHasXattrWhiteouts: true }))).toEqual(['delete']);
    expect(kinds(classifyEntry(xw, lowerFile, user))).toEqual(['modify']);
  });

  it('turns a socket that hides a lower entry into a whiteout, and drops other sockets', () => {
    expect(kinds(classifyEntry(socket('s'), lowerFile, trusted))).toEqual(['delete']);
    expect(classifyEntry(socket('s'), undefined, trusted)).toEqual([]);
  });

  it('skips a copied-up file whose metadata equals the lower and whose mtime has nanoseconds', () => {
    const o = { mtimeNs: 1_600_000_000_123_456_789n, ino: 1n };
    expect(classifyEntry(file('f', 'same', o), file('f', 'same', { ...o, ino: 2n }), trusted)).toEqual([]);
  });

  it('asks for a content check when the equal mtimes are whole seconds', () => {
    const o = { mtimeNs: 1_600_000_000_000_000_000n };
    expect(kinds(classifyEntry(file('f', 'same', o), file('f', 'same', o), trusted))).toEqual(['compare-content']);
  });

  it('emits a copied-up file that is part of a hardlink set even when unchanged', () => {
    expect(kinds(classifyEntry(file('s', 'x', { nlink: 2n }), file('s', 'x'), trusted))).toEqual(['modify']);
  });

  it('emits an unchanged copy-up of one name of a lower hardlink set (the copy-up broke the set)', () => {
    const o = { mtimeNs: 1_600_000_000_000_000_000n };
    expect(kinds(classifyEntry(file('d', 'v1', o), file('d', 'v1', { ...o, nlink: 2n }), trusted))).toEqual(['modify']);
  });

  it('emits a copied-up symlink retargeted with its mtime preserved', () => {
    expect(kinds(classifyEntry(symlink('l', 'new'), symlink('l', 'old'), trusted))).toEqual(['modify']);
    expect(classifyEntry(symlink('l', 'same'), symlink('l', 'same'), trusted)).toEqual([]);
  });

  it('adds new files and modifies replaced ones', () => {
    expect(kinds(classifyEntry(file('n', 'x'), undefined, trusted))).toEqual(['add']);
    expect(kinds(classifyEntry(symlink('l', 'x'), lowerFile, trusted))).toEqual(['modify']);
  });

  it('refuses an upper entry literally named .wh.*', () => {
    expect(() => classifyEntry(file('d/.wh.foo', 'x'), undefined, trusted)).toThrow(/\.wh\./);
  });

  it('classifies a regular file with a redirect but no metacopy by its own data (the redirect only tells where the name came from)', () => {
    const e = file('f', 'x', { xattrs: { 'trusted.overlay.redirect': 'v' } });
    expect(kinds(classifyEntry(e, lowerFile, trusted))).toEqual(['modify']);
    expect(kinds(classifyEntry(e, undefined, trusted))).toEqual(['add']);
  });

  it('accepts a renamed directory and a renamed metacopy file (the walk and the lowers resolve them)', () => {
    const d = dir('d', { xattrs: { 'trusted.overlay.redirect': 'old' } });
    expect(kinds(classifyEntry(d, undefined, trusted))).toEqual(['add']);
    const m = file('m', 'x', { xattrs: { 'trusted.overlay.redirect': '/old', 'trusted.overlay.metacopy': '' } });
    expect(kinds(classifyEntry(m, undefined, trusted))).toEqual(['add']);
  });

  it('does not refuse the other namespace’s redirect (ordinary data copied up)', () => {
    const e = file('f', 'x', { xattrs: { 'user.overlay.redirect': 'v' } });
    expect(kinds(classifyEntry(e, lowerFile, trusted))).toEqual(['modify']);
  });

  it('sorts xattr fixtures by name bytes', () => {
    expect(xattrList({ b: '1', a: '2' }).map((x) => x.name.toString())).toEqual(['a', 'b']);
  });
});
