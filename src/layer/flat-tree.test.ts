import { describe, expect, it } from 'vitest';
import type { DataSource, TarEntry, TarEntryType } from '../types.js';
import { FlatTree, type LayerMember } from './flat-tree.js';

let nextIno = 1n;
function member(path: string, type: TarEntryType = 'file', extra: Partial<TarEntry> = {}): LayerMember<DataSource> {
  const entry: TarEntry = { path: Buffer.from(path), type, mode: 0o644, uid: 0, gid: 0, mtime: 0n, size: 0n, devMajor: 0, devMinor: 0, xattrs: [], ...extra };
  if (type !== 'file') return { entry };
  const content: DataSource = { absPath: Buffer.from(`/store/${path}-${nextIno}`), dev: 1n, ino: nextIno++ };
  return { entry: { ...entry, size: 1n }, content };
}
const link = (path: string, target: string): LayerMember<DataSource> => member(path, 'hardlink', { linkTarget: Buffer.from(target) });

function flatten(...layers: LayerMember<DataSource>[][]): { path: string; type: string; link?: string; data?: string }[] {
  const tree = new FlatTree<DataSource>();
  for (const layer of layers) tree.applyLayer(layer);
  return [...tree.members()].map(({ entry: m, content }) => ({
    path: m.path.toString(),
    type: m.type,
    ...(m.linkTarget && m.type === 'hardlink' ? { link: m.linkTarget.toString() } : {}),
    ...(content ? { data: content.absPath.toString() } : {}),
  }));
}

describe('FlatTree', () => {
  it('keeps a hardlink’s content when a later layer deletes its target (go-containerregistry #977)', () => {
    const a = member('a');
    const out = flatten([a, link('b', 'a')], [member('.wh.a')]);
    expect(out).toEqual([{ path: 'b', type: 'file', data: a.content!.absPath.toString() }]);
  });

  it('keeps the old content for a link whose target is overwritten later (#2002)', () => {
    const a1 = member('a');
    const a2 = member('a');
    const out = flatten([a1, link('b', 'a')], [a2]);
    expect(out).toEqual([
      { path: 'a', type: 'file', data: a2.content!.absPath.toString() },
      { path: 'b', type: 'file', data: a1.content!.absPath.toString() },
    ]);
  });

  it('honours opaque markers, even after the dir’s own children (#2372)', () => {
    const out = flatten(
      [member('d', 'dir'), member('d/old'), member('d/sub', 'dir'), member('d/sub/x')],
      [member('d', 'dir'), member('d/new'), member('d/.wh..wh..opq')],
    );
    expect(out.map((m) => m.path)).toEqual(['d', 'd/new']);
  });

  it('links a later layer’s hardlink to a file from an earlier layer, pointing at the first name', () => {
    const f = member('f');
    const out = flatten([f], [link('z', 'f'), link('a', 'z')]);
    expect(out).toEqual([
      { path: 'a', type: 'file', data: f.content!.absPath.toString() },
      { path: 'f', type: 'hardlink', link: 'a' },
      { path: 'z', type: 'hardlink', link: 'a' },
    ]);
  });

  it('replaces a file by a directory and back, and removes whole subtrees', () => {
    const out = flatten(
      [member('x'), member('t', 'dir'), member('t/deep', 'dir'), member('t/deep/f')],
      [member('x', 'dir'), member('x/in'), member('.wh.t')],
      [member('.wh.x'), member('x')],
    );
    expect(out.map((m) => `${m.path}:${m.type}`)).toEqual(['x:file']);
  });

  it('never lets a whiteout delete an entry of its own layer', () => {
    const out = flatten([member('a')], [member('a'), member('.wh.a')]);
    expect(out.map((m) => m.path)).toEqual(['a']);
  });

  it.each(['.wh..', '.wh...', 'd/.wh..', 'd/.wh.'])('refuses the whiteout %s, which names no entry of its directory', (name) => {
    expect(() => flatten([member('d', 'dir'), member('d/x')], [member(name)])).toThrow(/would delete a directory above it|a whiteout with an empty name/);
  });

  it('refuses names with a .. component, as apply does', () => {
    expect(() => flatten([member('a/../../evil')])).toThrow(/'\.\.' component/);
  });

  it('puts a member below a symlink a layer made where apply puts it: resolved inside the root', () => {
    const out = flatten(
      [member('real', 'dir'), member('l', 'symlink', { linkTarget: Buffer.from('/real') })],
      [member('l/f'), member('up', 'symlink', { linkTarget: Buffer.from('../../..') }), member('up/g')],
    );
    expect(out.map((m) => m.path)).toEqual(['g', 'l', 'real', 'real/f', 'up']);
  });

  it('refuses a path that resolves beyond PATH_MAX, and a symlink loop after 40 links', () => {
    const deep = (n: number): string => Array.from({ length: n }, () => 'd').join('/');
    expect(() => flatten([member(`${deep(3000)}/f`)])).toThrow(/more than PATH_MAX allows/);
    expect(() => flatten([member('l', 'symlink', { linkTarget: Buffer.from(deep(1500)) })], [member(`l/${deep(1000)}/f`)])).toThrow(/longer than 4095 bytes/);
    expect(() =>
      flatten([member('a', 'symlink', { linkTarget: Buffer.from('b') }), member('b', 'symlink', { linkTarget: Buffer.from('a') })], [member('a/f')]),
    ).toThrow(/more than 40 symlinks/);
  });

  it('refuses a file below a regular file, and a hardlink to itself, as apply does', () => {
    expect(() => flatten([member('f'), member('f/g')])).toThrow(/is not a directory/);
    expect(() => flatten([member('f')], [link('f', 'f')])).toThrow(/a hardlink to itself/);
  });

  it('refuses a hardlink to a name that does not exist', () => {
    expect(() => flatten([link('b', 'missing')])).toThrow(/hardlink to missing/);
  });
});
