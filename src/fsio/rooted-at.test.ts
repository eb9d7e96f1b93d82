import { closeSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errnoCode } from '../errors.js';
import { rootedAt } from './rooted-at.js';

const b = (s: string): Buffer => Buffer.from(s);
let root: string;
let fd: number;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-rooted-at-'));
  mkdirSync(join(root, 'd'));
  writeFileSync(join(root, 'f'), 'x', { mode: 0o600 });
  symlinkSync('f', join(root, 'l'));
  symlinkSync('d', join(root, 'ld'));
  fd = rootedAt.openRoot(b(root));
});
afterEach(() => {
  try {
    closeSync(fd);
  } finally {
    rmSync(root, { recursive: true, force: true }); // also when openRoot failed (no addon)
  }
});

const code = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (err) {
    return errnoCode(err);
  }
  return undefined;
};

describe('rootedAt', () => {
  it('opens directories one component at a time, never through a symlink', () => {
    const d = rootedAt.openDir(fd, b('d'));
    closeSync(d);
    expect(['ENOTDIR', 'ELOOP']).toContain(code(() => rootedAt.openDir(fd, b('ld'))));
    expect(() => rootedAt.openDir(fd, b('d/x'))).toThrow(/one name component/);
    expect(() => rootedAt.openDir(fd, b('..'))).toThrow(/one name component/);
  });

  it('never chmods a symlink nor its target', () => {
    expect(code(() => rootedAt.chmodAt(fd, b('l'), 0o4777))).toBe('ELOOP');
    expect(lstatSync(join(root, 'f')).mode & 0o7777).toBe(0o600);
    rootedAt.chmodAt(fd, b('f'), 0o640);
    expect(lstatSync(join(root, 'f')).mode & 0o7777).toBe(0o640);
  });

  it('sets times exactly, negative ones too, on the entry itself', () => {
    rootedAt.utimesAt(fd, b('l'), -5n, 7);
    expect(lstatSync(join(root, 'l'), { bigint: true }).mtimeNs).toBe(-5n * 1_000_000_000n + 7n);
    expect(lstatSync(join(root, 'f'), { bigint: true }).mtimeNs).not.toBe(-5n * 1_000_000_000n + 7n);
  });

  it('reports a missing name as undefined and other errors with their errno code', () => {
    expect(rootedAt.lstatAt(fd, b('missing'))).toBeUndefined();
    expect(code(() => rootedAt.mkdirAt(fd, b('d'), 0o755))).toBe('EEXIST');
    expect(code(() => rootedAt.createFile(fd, b('l'), 0o600))).toBe('EEXIST');
  });
});
