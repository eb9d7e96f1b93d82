// Assertions on layer members and manifests shared by the native tests.
import { expect } from 'vitest';
import { listTar, type ListedMember } from '../../fixtures/tar-members.js';
import type { Manifest } from './overlay.js';

export { listTar, type ListedMember };

export function memberNames(layer: string): string[] {
  return listTar(layer).map((m) => m.name);
}

/** Every whiteout is a zero-size regular file with fixed metadata; no device member is a whiteout. */
export function expectWellFormedWhiteouts(members: ListedMember[]): void {
  for (const m of members) {
    expect(m.type === 'char' && m.size === 0 && m.name.includes('.wh.'), `device whiteout ${m.name}`).toBe(false);
    if (!m.name.split('/').pop()!.startsWith('.wh.')) continue;
    expect(m).toMatchObject({ type: 'file', size: 0, uid: 0, gid: 0, mode: 0, mtime: 0, linkname: '' });
  }
}

/** No overlay-private xattr ever reaches the layer. */
export function expectNoPrivateXattrs(members: ListedMember[]): void {
  for (const m of members) {
    for (const name of Object.keys(m.xattrs)) {
      expect(name, `${m.name} carries ${name}`).not.toMatch(/^(trusted\.overlay\.|user\.overlay\.|user\.fuseoverlayfs\.)/);
      expect(m.xattrs[name], `${m.name} has an empty ${name}`).not.toBe('');
    }
  }
}

/** The applied tree equals the merged view, entry by entry, with a readable diff on failure. */
export function expectSameTree(merged: Manifest, applied: Manifest): void {
  expect(applied.entries).toEqual(merged.entries);
  expect(applied.hardlinks).toEqual(merged.hardlinks);
}
