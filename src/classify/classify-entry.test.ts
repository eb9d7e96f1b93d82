import { describe, expect, it } from 'vitest';
import { dir, file, opaque, socket, stat, symlink, whiteout, xattrList } from '../../fixtures/entries.js';
import { OverlaydiffError } from '../errors.js';
import type { Change } from '../types.js';
import { classifyEntry, type ClassifyContext, type LowerView } from './classify-entry.js';
import { dialectFor } from './namespace.js';

const trusted: ClassifyContext = { dialect: dialectFor('trusted'), parentHasXattrWhiteouts: false };
const user: ClassifyContext = { dialect: dialectFor('user'), parentHasXattrWhiteouts: false };
const lowerFile: LowerView = { stat: stat('file') };
const lowerDir = (o: Parameters<typeof stat>[1] = {}): LowerView => ({ stat: stat('dir', o), xattrs: [] });
const kinds = (changes: Change[]): string[] => changes.map((c) => c.kind);

describe('classifyEntry', () => {
  it('emits a whiteout only when the lower name is visible', () => {
    expect(kinds(classifyEntry(whiteout('gone'), lowerFile, trusted))).toEqual(['delete']);
    expect(classifyEntry(whiteout('never-there'), undefined, trusted)).toEqual([]);
  });

  it('treats a whiteout sharing an inode (nlink 3) as a whiteout, not a link', () => {
    expect(kinds(classifyEntry(whiteout('a', { nlink: 3n, ino: 7n }), lowerFile, trusted))).toEqual(['delete']);
  });

  it('marks an opaque dir only when the lowers have a directory there', () => {
    expect(kinds(classifyEntry(opaque('d'), lowerDir(), trusted))).toEqual(['modify', 'opaque']);
    expect(kinds(classifyEntry(opaque('newdir'), undefined, trusted))).toEqual(['add']);
    expect(kinds(classifyEntry(opaque('was-a-file'), lowerFile, trusted))).toEqual(['add']);
  });

  it('ignores a stale opaque attribute of the other namespace (trusted mount, user.overlay.opaque)', () => {
    const stale = opaque('d', 'user');
    expect(kinds(classifyEntry(stale, lowerDir(), trusted))).toEqual(['parent']);
  });

  it('ignores a stale opaque attribute of the other namespace (userxattr mount, trusted.overlay.opaque)', () => {
    const stale = opaque('d', 'trusted');
    expect(kinds(classifyEntry(stale, lowerDir(), user))).toEqual(['parent']);
    expect(kinds(classifyEntry(opaque('d', 'user'), lowerDir(), user))).toEqual(['modify', 'opaque']);
  });

  it('does not treat opaque=x (holds xattr whiteouts) as opaque', () => {
    const d = dir('d', { xattrs: { 'trusted.overlay.opaque': 'x' } });
    expect(kinds(classifyEntry(d, lowerDir(), trusted))).toEqual(['parent']);
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

  it('adds new files and modifies replaced ones', () => {
    expect(kinds(classifyEntry(file('n', 'x'), undefined, trusted))).toEqual(['add']);
    expect(kinds(classifyEntry(symlink('l', 'x'), lowerFile, trusted))).toEqual(['modify']);
  });

  it('refuses an upper entry literally named .wh.*', () => {
    expect(() => classifyEntry(file('d/.wh.foo', 'x'), undefined, trusted)).toThrow(/\.wh\./);
  });

  it.each(['redirect', 'metacopy', 'nlink'])('refuses an entry carrying overlay.%s in the mount namespace', (attr) => {
    const e = file('f', 'x', { xattrs: { [`trusted.overlay.${attr}`]: 'v' } });
    let error: unknown;
    try {
      classifyEntry(e, lowerFile, trusted);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OverlaydiffError);
    expect((error as OverlaydiffError).code).toBe('E_UNSUPPORTED_OVERLAY');
    expect((error as OverlaydiffError).message).toContain('/upper/f');
  });

  it('does not refuse the other namespace’s redirect (ordinary data copied up)', () => {
    const e = file('f', 'x', { xattrs: { 'user.overlay.redirect': 'v' } });
    expect(kinds(classifyEntry(e, lowerFile, trusted))).toEqual(['modify']);
  });

  it('sorts xattr fixtures by name bytes', () => {
    expect(xattrList({ b: '1', a: '2' }).map((x) => x.name.toString())).toEqual(['a', 'b']);
  });
});
