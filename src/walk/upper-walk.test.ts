import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { walkTree } from './upper-walk.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-walk-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('walkTree', () => {
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
