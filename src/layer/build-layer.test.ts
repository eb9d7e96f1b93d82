import { describe, expect, it } from 'vitest';
import { dir, file, symlink } from '../../fixtures/entries.js';
import type { Change, FsEntry, TarEntry } from '../types.js';
import { buildLayer } from './build-layer.js';
import { emptyStats } from './stats.js';

async function members(changes: Change[], stats = emptyStats()): Promise<TarEntry[]> {
  async function* source(): AsyncGenerator<Change> {
    yield* changes;
  }
  const out: TarEntry[] = [];
  for await (const m of buildLayer(source(), { stats, checkLinkCounts: true })) out.push(m);
  return out;
}

const add = (entry: FsEntry): Change => ({ kind: 'add', path: entry.path, entry });
const parent = (entry: FsEntry): Change => ({ kind: 'parent', path: entry.path, entry });
const names = (ms: TarEntry[]): string[] => ms.map((m) => `${m.path.toString()}${m.type === 'dir' ? '/' : ''}`);

describe('buildLayer', () => {
  it('emits a held-back parent dir only when something below it is emitted', async () => {
    const out = await members([parent(dir('a')), parent(dir('a/empty')), parent(dir('a/sub')), add(file('a/sub/x', 'x')), parent(dir('b'))]);
    expect(names(out)).toEqual(['a/', 'a/sub/', 'a/sub/x']);
  });

  it('does not mistake a sibling sharing a prefix for a child ("a" vs "ab")', async () => {
    const out = await members([parent(dir('a')), add(file('ab', 'x'))]);
    expect(names(out)).toEqual(['ab']);
  });

  it('writes whiteouts and opaque markers with fixed metadata, after their parents', async () => {
    const stats = emptyStats();
    const d = dir('d', { uid: 5, mtimeNs: 1_700_000_000_123_000_000n });
    const out = await members(
      [
        parent(d),
        { kind: 'delete', path: Buffer.from('d/gone') },
        { kind: 'modify', path: Buffer.from('e'), entry: dir('e') },
        { kind: 'opaque', dir: Buffer.from('e') },
      ],
      stats,
    );
    expect(names(out)).toEqual(['d/', 'd/.wh.gone', 'e/', 'e/.wh..wh..opq']);
    for (const marker of [out[1]!, out[3]!]) {
      expect(marker).toMatchObject({ type: 'file', mode: 0, uid: 0, gid: 0, mtime: 0n, size: 0n, xattrs: [] });
    }
    expect(out[0]).toMatchObject({ uid: 5, mtime: 1_700_000_000n });
    expect(stats).toMatchObject({ whiteouts: 1, opaqueDirs: 1 });
  });

  it('links later names of an inode to the first name in walk order', async () => {
    const stats = emptyStats();
    const a = file('a', 'data', { ino: 42n, nlink: 2n });
    const b = file('b', 'data', { ino: 42n, nlink: 2n });
    const out = await members([add(a), add(b)], stats);
    expect(out[0]).toMatchObject({ type: 'file', size: 4n });
    expect(out[1]).toMatchObject({ type: 'hardlink', size: 0n, linkTarget: Buffer.from('a') });
    expect(stats.hardlinks).toBe(1);
    expect(stats.bytes).toBe(4);
  });

  it('keys hardlinks by device and inode, not inode alone', async () => {
    const a = file('a', 'x', { ino: 42n, dev: 1n, nlink: 2n });
    const b = file('b', 'x', { ino: 42n, dev: 2n, nlink: 2n });
    await expect(members([add(a), add(b)])).rejects.toThrow(/2 links but only 1 name/);
  });

  it('fails when an inode has links outside the upperdir (index=on aliases)', async () => {
    const h1 = file('h1', 'x', { ino: 9n, nlink: 2n });
    await expect(members([add(h1)])).rejects.toMatchObject({ code: 'E_UNSUPPORTED_OVERLAY' });
  });

  it('keeps symlink targets and leaves data only on files', async () => {
    const out = await members([add(symlink('l', '../t'))]);
    expect(out[0]).toMatchObject({ type: 'symlink', size: 0n, linkTarget: Buffer.from('../t') });
  });
});
