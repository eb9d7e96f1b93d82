import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialectFor } from '../classify/namespace.js';
import { setXattr } from '../fsio/xattr.js';
import { createExcludeFilter } from './exclude.js';
import { walkStack } from './stack-walk.js';

const walkTree = async function* (root: Buffer) {
  for await (const e of walkStack([root], { dialect: dialectFor('trusted') })) yield e.entry;
};

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-walk-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('walkStack on one layer', () => {
  it('yields a non-UTF-8 name as its raw bytes', async () => {
    const name = Buffer.from([0x66, 0xff, 0xfe]);
    writeFileSync(Buffer.concat([Buffer.from(`${root}/`), name]), 'x');
    const paths: Buffer[] = [];
    for await (const e of walkTree(Buffer.from(root))) paths.push(e.path);
    expect(paths).toEqual([name]);
  });

  it('fails with E_FILE_CHANGED when an entry vanishes during the walk', async () => {
    mkdirSync(join(root, 'd'));
    writeFileSync(join(root, 'd/a'), '');
    writeFileSync(join(root, 'd/b'), '');
    const walk = walkTree(Buffer.from(root));
    expect((await walk.next()).value?.path.toString()).toBe('d');
    expect((await walk.next()).value?.path.toString()).toBe('d/a');
    rmSync(join(root, 'd/b'));
    await expect(walk.next()).rejects.toMatchObject({ code: 'E_FILE_CHANGED', message: expect.stringContaining('d/b') });
  });
});

describe('walkStack', () => {
  const names = async (roots: string[], ns: 'trusted' | 'user' = 'user'): Promise<string[]> => {
    const out: string[] = [];
    for await (const e of walkStack(
      roots.map((r) => Buffer.from(r)),
      { dialect: dialectFor(ns) },
    )) {
      out.push(`${e.entry.path.toString()}@${e.layer}${e.hidesBelow ? '!' : ''}`);
    }
    return out;
  };

  it('reads opaque markers from the selected namespace only', async () => {
    mkdirSync(join(root, 'd'));
    setXattr(Buffer.from(join(root, 'd')), Buffer.from('user.overlay.opaque'), Buffer.from('y'));
    expect(await names([root], 'user')).toEqual(['d@0!']);
    expect(await names([root], 'trusted')).toEqual(['d@0']);
  });

  it('merges several layers: the topmost name wins, dirs merge until an opaque one', async () => {
    const [u1, u2, u3] = ['u1', 'u2', 'u3'].map((n) => join(root, n)) as [string, string, string];
    for (const u of [u1, u2, u3]) mkdirSync(join(u, 'd'), { recursive: true });
    writeFileSync(join(u1, 'd/a'), '1');
    writeFileSync(join(u2, 'd/a'), '2');
    writeFileSync(join(u2, 'd/b'), '2');
    writeFileSync(join(u3, 'd/c'), '3');
    writeFileSync(join(u3, 'top'), '3');
    expect(await names([u1, u2, u3])).toEqual(['d@0', 'd/a@0', 'd/b@1', 'd/c@2', 'top@2']);
    setXattr(Buffer.from(join(u2, 'd')), Buffer.from('user.overlay.opaque'), Buffer.from('y'));
    expect(await names([u1, u2, u3])).toEqual(['d@0!', 'd/a@0', 'd/b@1', 'top@2']);
  });

  it('skips excluded paths with their subtrees, whiteouts included', async () => {
    mkdirSync(join(root, 'cache/deep'), { recursive: true });
    writeFileSync(join(root, 'cache/deep/x'), '');
    writeFileSync(join(root, 'keep.log'), '');
    writeFileSync(join(root, 'keep'), '');
    const out: string[] = [];
    const exclude = createExcludeFilter(['cache', '*.log']);
    for await (const e of walkStack([Buffer.from(root)], { dialect: dialectFor('user'), ...(exclude ? { exclude } : {}) })) out.push(e.entry.path.toString());
    expect(out).toEqual(['keep']);
  });

  it('stops a merge at a file in a lower layer and reports that the dir hides what is below', async () => {
    const [u1, u2] = ['u1', 'u2'].map((n) => join(root, n)) as [string, string];
    mkdirSync(join(u1, 'd'), { recursive: true });
    mkdirSync(u2);
    writeFileSync(join(u2, 'd'), 'was a file');
    expect(await names([u1, u2])).toEqual(['d@0!']);
  });
});
