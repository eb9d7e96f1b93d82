import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { OverlaydiffError } from '../errors.js';
import { getXattr } from '../fsio/xattr.js';
import { tarOf as tar, type Member } from '../../fixtures/layer-tar.js';
import { tempDirs } from '../../fixtures/temp-dirs.js';
import { apply, type ApplyOptions } from './apply.js';

const b = (text: string): Buffer => Buffer.from(text, 'utf8');
const isRoot = process.geteuid?.() === 0;

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

let dir: string;
let outside: string;
beforeEach(() => {
  const dirs = tempDirs('overlaydiff-apply-', 'dir', 'outside');
  ({ dir, outside } = dirs);
  return dirs.remove;
});

async function applyTar(members: readonly Member[], options: Omit<ApplyOptions, 'layer' | 'dir'> = {}): ReturnType<typeof apply> {
  return apply({ ...options, layer: once(tar(members)), dir });
}

async function applyError(members: readonly Member[], options: Omit<ApplyOptions, 'layer' | 'dir'> = {}): Promise<OverlaydiffError> {
  try {
    await applyTar(members, options);
  } catch (err) {
    if (err instanceof OverlaydiffError) return err;
    throw err;
  }
  throw new Error('expected apply to fail');
}

const tree = (): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

describe('apply (plain)', () => {
  it('deletes whited-out names, empties opaque dirs of lower content only, and creates entries with metadata', async () => {
    mkdirSync(join(dir, 'opq/sub'), { recursive: true });
    writeFileSync(join(dir, 'opq/old'), 'old');
    writeFileSync(join(dir, 'gone'), 'x');
    mkdirSync(join(dir, 'gonedir/deep'), { recursive: true });
    const result = await applyTar([
      { path: 'opq', type: 'dir', mode: 0o750, mtime: 1_500_000_000n },
      { path: 'opq/new', data: 'new', mode: 0o600 },
      // containerd writes the marker after the directory's children: they survive it.
      { path: 'opq/.wh..wh..opq', mode: 0, mtime: 0n },
      { path: '.wh.gone', mode: 0, mtime: 0n },
      { path: '.wh.gonedir', mode: 0, mtime: 0n },
      { path: 'link', type: 'symlink', linkTarget: b('opq/new') },
      { path: 'hard', type: 'hardlink', linkTarget: b('opq/new') },
      {
        path: 'x',
        data: 'x',
        xattrs: [
          { name: b('user.note'), value: Buffer.from([0, 1, 0xff]) },
          { name: b('user.overlay.opaque'), value: b('y') },
        ],
      },
    ]);
    expect(tree()).toEqual(['hard', 'link', 'opq', 'opq/new', 'x']);
    expect(readFileSync(join(dir, 'opq/new'), 'utf8')).toBe('new');
    expect(lstatSync(join(dir, 'opq/new')).mode & 0o7777).toBe(0o600);
    expect(lstatSync(join(dir, 'opq')).mode & 0o7777).toBe(0o750);
    expect(lstatSync(join(dir, 'opq')).mtimeMs).toBe(1_500_000_000_000);
    expect(lstatSync(join(dir, 'x')).mtimeMs).toBe(1_600_000_000_000);
    expect(lstatSync(join(dir, 'hard')).ino).toBe(lstatSync(join(dir, 'opq/new')).ino);
    expect(readlinkSync(join(dir, 'link'), 'utf8')).toBe('opq/new');
    expect(getXattr(Buffer.from(join(dir, 'x')), b('user.note'))).toEqual(Buffer.from([0, 1, 0xff]));
    expect(getXattr(Buffer.from(join(dir, 'x')), b('user.overlay.opaque'))).toBeUndefined();
    expect(result).toMatchObject({ entries: 8, whiteouts: 2, opaqueDirs: 1, privateXattrsDropped: 1, devicesSkipped: 0 });
  });

  it('replaces a directory by a file and a file by a directory', async () => {
    mkdirSync(join(dir, 'd2f/inner'), { recursive: true });
    writeFileSync(join(dir, 'f2d'), 'f');
    await applyTar([
      { path: 'd2f', data: 'now a file' },
      { path: 'f2d', type: 'dir', mode: 0o755 },
      { path: 'f2d/in', data: 'in' },
    ]);
    expect(readFileSync(join(dir, 'd2f'), 'utf8')).toBe('now a file');
    expect(readFileSync(join(dir, 'f2d/in'), 'utf8')).toBe('in');
  });

  it('detects gzip from the magic bytes and returns the diffID and blob digest', async () => {
    const raw = tar([{ path: 'a', data: 'a' }]);
    const gz = gzipSync(raw);
    const result = await apply({ layer: once(gz), dir, diffID: `sha256:${createHash('sha256').update(raw).digest('hex')}` });
    expect(result.compression).toBe('gzip');
    expect(result.diffID).toBe(`sha256:${createHash('sha256').update(raw).digest('hex')}`);
    expect(result.digest).toBe(`sha256:${createHash('sha256').update(gz).digest('hex')}`);
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('a');
  });

  it('reports a diffID mismatch after draining the stream, saying the tree is written', async () => {
    const err = await applyError([{ path: 'a', data: 'a' }], { diffID: `sha256:${'0'.repeat(64)}` });
    expect(err.code).toBe('E_BAD_ARCHIVE');
    expect(err.message).toMatch(/already written/);
  });

  it('checks the blob digest when given, and names a mismatch', async () => {
    const gz = gzipSync(tar([{ path: 'a', data: 'a' }]));
    const good = `sha256:${createHash('sha256').update(gz).digest('hex')}`;
    expect((await apply({ layer: once(gz), dir, digest: good })).digest).toBe(good);
    const other = mkdtempSync(join(tmpdir(), 'overlaydiff-apply-digest-'));
    try {
      await expect(apply({ layer: once(gz), dir: other, digest: `sha256:${'1'.repeat(64)}` })).rejects.toMatchObject({
        code: 'E_BAD_ARCHIVE',
        message: expect.stringMatching(/blob digest/),
      });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses an empty whiteout name and a non-directory root entry', async () => {
    expect((await applyError([{ path: 'd/.wh.' }])).message).toMatch(/empty name/);
    expect((await applyError([{ path: '.', data: 'x' }])).message).toMatch(/target directory itself/);
  });
});

describe('apply hardening: nothing is written outside the target', () => {
  const outsideIsEmpty = (): void => expect(readdirSync(outside)).toEqual([]);

  it('refuses .. components in names and hardlink targets', async () => {
    expect((await applyError([{ path: '../outside/x', data: 'x' }])).code).toBe('E_UNSAFE_PATH');
    writeFileSync(join(outside, 'secret'), 's');
    expect((await applyError([{ path: 'h', type: 'hardlink', linkTarget: b('../outside/secret') }])).code).toBe('E_UNSAFE_PATH');
    expect(readdirSync(outside)).toEqual(['secret']);
  });

  it('strips a leading slash from absolute names', async () => {
    await applyTar([{ path: '/abs/x', data: 'x' }]);
    expect(readFileSync(join(dir, 'abs/x'), 'utf8')).toBe('x');
  });

  it('resolves a symlinked parent made by the same archive inside the target', async () => {
    await applyTar([
      { path: 'esc', type: 'symlink', linkTarget: b(outside) },
      { path: 'esc/x', data: 'x' },
      { path: 'rel', type: 'symlink', linkTarget: b('../../../outside') },
      { path: 'rel/y', data: 'y' },
    ]);
    outsideIsEmpty();
    expect(readFileSync(join(dir, outside, 'x'), 'utf8')).toBe('x'); // re-rooted at the target
    expect(readFileSync(join(dir, 'outside/y'), 'utf8')).toBe('y'); // '..' clamped at the target
  });

  it('never follows a symlink as the last component: replaces it', async () => {
    symlinkSync(join(outside, 'f'), join(dir, 'f'));
    symlinkSync(outside, join(dir, 'd'));
    await applyTar([
      { path: 'f', data: 'mine', mode: 0o777 },
      { path: 'd', type: 'dir', mode: 0o700 },
    ]);
    outsideIsEmpty();
    expect(lstatSync(join(dir, 'f')).isFile()).toBe(true);
    expect(lstatSync(join(dir, 'd')).isDirectory()).toBe(true);
    expect(lstatSync(outside).mode & 0o777).toBe(0o755);
  });

  it('keeps hardlinks through symlinks inside the target', async () => {
    writeFileSync(join(outside, 'secret'), 's');
    const err = await applyError([
      { path: 'out', type: 'symlink', linkTarget: b(outside) },
      { path: 'h', type: 'hardlink', linkTarget: b('out/secret') },
    ]);
    expect(err.message).toMatch(/does not exist in the target/);
    expect(lstatSync(join(outside, 'secret')).nlink).toBe(1);
  });

  it('does not delete through a symlinked parent with whiteouts', async () => {
    writeFileSync(join(outside, 'victim'), 'v');
    symlinkSync(outside, join(dir, 'esc'));
    await applyTar([{ path: 'esc/.wh.victim' }, { path: 'esc/.wh..wh..opq' }]);
    expect(readdirSync(outside)).toEqual(['victim']);
  });

  it('creates devices as root only; otherwise skips and counts them', async () => {
    const result = await applyTar([{ path: 'null', type: 'char', devMajor: 1, devMinor: 3 }]);
    expect(result.devicesSkipped).toBe(isRoot ? 0 : 1);
    expect(existsSync(join(dir, 'null'))).toBe(isRoot);
  });
});

describe('apply --format overlay', () => {
  it('makes whiteout devices and marks opaque dirs in the chosen namespace only', async () => {
    const result = await applyTar(
      [
        { path: 'd', type: 'dir', mode: 0o755 },
        { path: 'd/.wh..wh..opq' },
        { path: 'd/kept', data: 'k' },
        { path: '.wh.gone' },
        { path: 'e', type: 'dir', mode: 0o755, xattrs: [{ name: b('trusted.overlay.opaque'), value: b('y') }] },
      ],
      { format: 'overlay', xattrNamespace: 'user' },
    );
    const gone = lstatSync(join(dir, 'gone'));
    expect(gone.isCharacterDevice() && gone.rdev === 0).toBe(true);
    const d = Buffer.from(join(dir, 'd'));
    expect(getXattr(d, b('user.overlay.opaque'))).toEqual(b('y'));
    expect(getXattr(d, b('trusted.overlay.opaque'))).toBeUndefined();
    expect(getXattr(Buffer.from(join(dir, 'e')), b('trusted.overlay.opaque'))).toBeUndefined();
    expect(readFileSync(join(dir, 'd/kept'), 'utf8')).toBe('k');
    expect(result).toMatchObject({ whiteouts: 1, opaqueDirs: 1, privateXattrsDropped: 1 });
    expect(readdirSync(dir).filter((n) => n.startsWith('.overlaydiff'))).toEqual([]);
  });

  it.each(['plain', 'overlay'] as const)(
    'refuses a namespace other than trusted or user from a JS caller (%s format), before writing anything',
    async (format) => {
      // The type says trusted | user; a JS caller can pass any string.
      const options = { format, xattrNamespace: 'security' } as unknown as ApplyOptions;
      const err = await applyError([{ path: 'd', type: 'dir' }, { path: 'd/.wh..wh..opq' }], options);
      expect(err.code).toBe('E_USAGE');
      expect(err.message).toMatch(/invalid xattr namespace "security": use trusted or user/);
      expect(readdirSync(dir)).toEqual([]);
    },
  );
});

describe('apply: small wrongs fixed at the root', () => {
  it('sets negative and fractional-free mtimes exactly, on files, symlinks and directories', async () => {
    await applyTar([
      { path: 'old', data: 'x', mtime: -86_400n * 365n },
      { path: 'l', type: 'symlink', linkTarget: b('old'), mtime: -1n },
      { path: 'd', type: 'dir', mtime: -2n },
    ]);
    expect(lstatSync(join(dir, 'old'), { bigint: true }).mtimeNs).toBe(-86_400n * 365n * 1_000_000_000n);
    expect(lstatSync(join(dir, 'l'), { bigint: true }).mtimeNs).toBe(-1_000_000_000n);
    expect(lstatSync(join(dir, 'd'), { bigint: true }).mtimeNs).toBe(-2_000_000_000n);
  });

  it('keeps an existing file that a hardlink member names as its own target, and fails', async () => {
    writeFileSync(join(dir, 'keep'), 'precious');
    const err = await applyError([{ path: 'keep', type: 'hardlink', linkTarget: b('keep') }]);
    expect(err.message).toMatch(/keep: a hardlink to itself/);
    expect(readFileSync(join(dir, 'keep'), 'utf8')).toBe('precious');
  });

  it('never chmods through a symlink: a symlink member gets no mode, its target keeps its own', async () => {
    writeFileSync(join(outside, 'target'), 'x', { mode: 0o600 });
    await applyTar([{ path: 'l', type: 'symlink', linkTarget: b(join(outside, 'target')), mode: 0o4777 }]);
    expect(lstatSync(join(outside, 'target')).mode & 0o7777).toBe(0o600);
  });
});
