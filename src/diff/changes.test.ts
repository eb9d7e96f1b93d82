import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { listTar } from '../../fixtures/tar-members.js';
import { tempDirs } from '../../fixtures/temp-dirs.js';
import { setXattr } from '../fsio/xattr.js';
import type { Change, ParentChange } from '../types.js';
import { changes } from './changes.js';
import { diff } from './diff.js';

// Plain directories stand in for an upper and a lower (no mount, no root); user.* xattrs play the
// overlay attributes of a userxattr mount. Native tests cover real mounts.
let root: string;
let upper: string;
let lower: string;
beforeEach(() => {
  const dirs = tempDirs('overlaydiff-changes-', 'upper', 'lower');
  ({ root, upper, lower } = dirs);
  return dirs.remove;
});

const xattr = (path: string, name: string, value: string): void => setXattr(Buffer.from(path), Buffer.from(name), Buffer.from(value));
const tree = (base: string, files: Record<string, string>): void => {
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(join(base, path, '..'), { recursive: true });
    writeFileSync(join(base, path), data);
  }
};

/**
 * A layer writer written from the Change contract alone (the TSDoc of `Change`): the member names
 * a writer following it emits, directories with a trailing '/'.
 */
function memberNames(stream: readonly Change[]): string[] {
  const names: string[] = [];
  const pending: ParentChange[] = [];
  const isAncestor = (dir: Buffer, path: Buffer): boolean => path.length > dir.length && path[dir.length] === 0x2f && path.subarray(0, dir.length).equals(dir);
  const dropEnded = (path: Buffer): void => {
    while (pending.length > 0 && !isAncestor(pending[pending.length - 1]!.path, path)) pending.pop();
  };
  const releaseParents = (path: Buffer): void => {
    dropEnded(path);
    for (const parent of pending) names.push(`${parent.path.toString()}/`);
    pending.length = 0;
  };
  for (const change of stream) {
    switch (change.kind) {
      case 'parent':
        dropEnded(change.path);
        pending.push(change);
        break;
      case 'add':
      case 'modify':
        releaseParents(change.path);
        names.push(`${change.path.toString()}${change.entry.stat.type === 'dir' ? '/' : ''}`);
        break;
      case 'delete': {
        releaseParents(change.path);
        const path = change.path.toString();
        const slash = path.lastIndexOf('/');
        names.push(`${path.slice(0, slash + 1)}.wh.${path.slice(slash + 1)}`);
        break;
      }
      case 'opaque':
        names.push(`${change.dir.toString()}/.wh..wh..opq`);
        break;
    }
  }
  return names;
}

describe('changes', () => {
  it('yields the stream diff writes: a writer following the Change contract emits the same members', async () => {
    tree(lower, { 'a/keep': 'k', 'a/gone': 'g', 'b/x': 'x', 'c/sub/f': 'f', 'c/other': 'o', top: 'old' });
    tree(upper, { 'b/new': 'n', 'c/sub/g': 'g', top: 'new', hl1: 'linked' });
    linkSync(join(upper, 'hl1'), join(upper, 'hl2'));
    symlinkSync('top', join(upper, 'ln'));
    // a/gone is deleted (an xattr whiteout in an opaque=x directory); b replaces the lower b.
    mkdirSync(join(upper, 'a'));
    xattr(join(upper, 'a'), 'user.overlay.opaque', 'x');
    writeFileSync(join(upper, 'a/gone'), '');
    xattr(join(upper, 'a/gone'), 'user.overlay.whiteout', '');
    xattr(join(upper, 'b'), 'user.overlay.opaque', 'y');
    const snapshot = { upper, lowers: [lower], xattrNamespace: 'user' as const };

    const stream: Change[] = [];
    for await (const change of changes(snapshot)) stream.push(change);
    const result = await diff({ ...snapshot, output: join(root, 'layer.tar') });
    const written = listTar(join(root, 'layer.tar')).map((m) => m.name);

    expect(memberNames(stream)).toEqual(written);
    expect(written).toEqual(expect.arrayContaining(['a/.wh.gone', 'b/', 'b/.wh..wh..opq', 'b/new', 'c/', 'c/sub/', 'c/sub/g', 'hl1', 'hl2', 'ln', 'top']));
    // Every change but a parent is one member; a parent is one only when something below it is.
    const parents = stream.filter((c) => c.kind === 'parent');
    const emittedParents = parents.filter((c) => written.includes(`${c.path.toString()}/`));
    expect(stream.length - parents.length + emittedParents.length).toBe(result.stats.entries);
    // An unchanged directory on the way to a change is a parent; an unchanged file does not come at all.
    expect(parents.map((c) => c.path.toString())).toContain('c');
    expect(stream.some((c) => 'path' in c && c.path.toString() === 'c/other')).toBe(false);
  });

  it('checks its options before yielding anything', () => {
    expect(() => changes({ upper: join(root, 'missing') })).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND' }));
    expect(() => changes({ upper: join(upper), lowers: [join(upper, 'nothing')], xattrNamespace: 'user' })).toThrow(
      expect.objectContaining({ code: 'E_NOT_FOUND' }),
    );
    writeFileSync(join(root, 'file'), '');
    expect(() => changes({ upper: join(root, 'file') })).toThrow(expect.objectContaining({ code: 'E_NOT_DIRECTORY' }));
  });
});
