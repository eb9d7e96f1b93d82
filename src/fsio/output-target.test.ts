import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertOutsideTrees, resolveOutputTarget } from './output-target.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-output-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('resolveOutputTarget', () => {
  it('replaces regular files and new names', () => {
    writeFileSync(join(root, 'old.tar'), 'x');
    expect(resolveOutputTarget(join(root, 'old.tar'))).toEqual({ kind: 'replace', path: join(root, 'old.tar') });
    expect(resolveOutputTarget(join(root, 'new.tar'))).toEqual({ kind: 'replace', path: join(root, 'new.tar') });
  });

  it('writes through character devices, FIFOs and open file descriptors', () => {
    expect(resolveOutputTarget('/dev/null')).toEqual({ kind: 'through', path: '/dev/null', what: 'character device' });
    expect(spawnSync('mkfifo', [join(root, 'fifo')]).status).toBe(0);
    expect(resolveOutputTarget(join(root, 'fifo'))).toMatchObject({ kind: 'through', what: 'fifo' });
    expect(resolveOutputTarget('/dev/stdout')).toMatchObject({ kind: 'through', what: 'file descriptor' });
    expect(resolveOutputTarget('/proc/self/fd/1')).toMatchObject({ kind: 'through', what: 'file descriptor' });
  });

  it('connects to a socket', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, 'sock'), resolve));
    try {
      expect(resolveOutputTarget(join(root, 'sock'))).toEqual({ kind: 'socket', path: join(root, 'sock') });
    } finally {
      server.close();
    }
  });

  it('follows symlinks (relative, chained, dangling) to the target', () => {
    writeFileSync(join(root, 'real.tar'), 'x');
    symlinkSync('real.tar', join(root, 'one'));
    symlinkSync(join(root, 'one'), join(root, 'two'));
    symlinkSync('/dev/null', join(root, 'null'));
    symlinkSync('missing.tar', join(root, 'dangling'));
    expect(resolveOutputTarget(join(root, 'two'))).toEqual({ kind: 'replace', path: join(root, 'real.tar') });
    expect(resolveOutputTarget(join(root, 'null'))).toMatchObject({ kind: 'through', path: '/dev/null' });
    expect(resolveOutputTarget(join(root, 'dangling'))).toEqual({ kind: 'replace', path: join(root, 'missing.tar') });
  });

  it('refuses directories, block devices and symlink loops', () => {
    mkdirSync(join(root, 'dir'));
    expect(() => resolveOutputTarget(join(root, 'dir'))).toThrow('output is a directory');
    symlinkSync('b', join(root, 'a'));
    symlinkSync('a', join(root, 'b'));
    expect(() => resolveOutputTarget(join(root, 'a'))).toThrow('too many levels of symbolic links');
  });
});

describe('assertOutsideTrees', () => {
  it('refuses a path inside a tree, through symlinks too, and allows siblings', () => {
    mkdirSync(join(root, 'upper'));
    mkdirSync(join(root, 'upper-2'));
    symlinkSync(join(root, 'upper'), join(root, 'alias'));
    const trees = [{ role: 'upperdir', dir: Buffer.from(join(root, 'upper')) }];
    expect(() => assertOutsideTrees(join(root, 'upper/x.tar'), trees)).toThrow(/output is inside the upperdir/);
    expect(() => assertOutsideTrees(join(root, 'upper/new/deeper/x.tar'), trees)).toThrow(/inside the upperdir/);
    expect(() => assertOutsideTrees(join(root, 'alias/x.tar'), trees)).toThrow(/inside the upperdir/);
    expect(() => assertOutsideTrees(join(root, 'upper'), trees, 'image layout')).toThrow(/image layout is inside/);
    expect(() => assertOutsideTrees(join(root, 'upper-2/x.tar'), trees)).not.toThrow();
    expect(() => assertOutsideTrees(join(root, 'x.tar'), trees)).not.toThrow();
  });
});
