import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { listTar } from '../../fixtures/tar-members.js';
import { tempDirs } from '../../fixtures/temp-dirs.js';
import { setXattr } from '../fsio/xattr.js';
import { diff } from './diff.js';

// Plain directories stand in for an upper and a lower here (no mount, no root); user.* xattrs
// play the overlay attributes of a userxattr mount. Native tests cover real mounts.
let root: string;
let upper: string;
let lower: string;
beforeEach(() => {
  const dirs = tempDirs('overlaydiff-diff-', 'upper', 'lower');
  ({ root, upper, lower } = dirs);
  return dirs.remove;
});

const xattr = (path: string, name: string, value: string): void => setXattr(Buffer.from(path), Buffer.from(name), Buffer.from(value));

describe('diff on plain trees', () => {
  it('writes a layer whose diffID is the sha256 of the tar, byte-identical across runs', async () => {
    mkdirSync(join(upper, 'd'));
    writeFileSync(join(upper, 'd/f'), 'data');
    symlinkSync('f', join(upper, 'd/l'));
    const a = await diff({ upper, output: join(root, 'a.tar') });
    const b = await diff({ upper, output: join(root, 'b.tar') });
    const bytes = readFileSync(join(root, 'a.tar'));
    expect(bytes.equals(readFileSync(join(root, 'b.tar')))).toBe(true);
    expect(a.diffID).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    expect(a).toEqual(b);
    expect(a.descriptor).toEqual({
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: a.diffID,
      size: bytes.length,
      annotations: { 'containerd.io/uncompressed': a.diffID },
    });
    expect(listTar(join(root, 'a.tar')).map((m) => m.name)).toEqual(['d/', 'd/f', 'd/l']);
  });

  it('honours only the selected namespace for opaque dirs', async () => {
    mkdirSync(join(lower, 'd'));
    writeFileSync(join(lower, 'd/x'), 'x');
    mkdirSync(join(upper, 'd'));
    writeFileSync(join(upper, 'd/new'), 'n');
    xattr(join(upper, 'd'), 'user.overlay.opaque', 'y');
    await diff({ upper, lowers: [lower], xattrNamespace: 'trusted', output: join(root, 't.tar') });
    await diff({ upper, lowers: [lower], xattrNamespace: 'user', output: join(root, 'u.tar') });
    expect(listTar(join(root, 't.tar')).map((m) => m.name)).toEqual(['d/', 'd/new']);
    expect(listTar(join(root, 'u.tar')).map((m) => m.name)).toEqual(['d/', 'd/.wh..wh..opq', 'd/new']);
  });

  it('sorts siblings by raw bytes, depth first', async () => {
    for (const name of ['a.b', 'a-b', 'B']) writeFileSync(join(upper, name), '');
    mkdirSync(join(upper, 'a'));
    writeFileSync(join(upper, 'a/z'), '');
    await diff({ upper, output: join(root, 'o.tar') });
    expect(listTar(join(root, 'o.tar')).map((m) => m.name)).toEqual(['B', 'a/', 'a/z', 'a-b', 'a.b']);
  });

  it('gzips with a stable digest and keeps the diffID of the plain tar', async () => {
    writeFileSync(join(upper, 'f'), 'x'.repeat(10_000));
    const plain = await diff({ upper, output: join(root, 'p.tar') });
    const gz = await diff({ upper, output: join(root, 'g.tar.gz'), compression: 'gzip' });
    const gz2 = await diff({ upper, output: join(root, 'g2.tar.gz'), compression: 'gzip' });
    expect(gz.diffID).toBe(plain.diffID);
    expect(gz.descriptor.digest).not.toBe(gz.diffID);
    expect(gz.descriptor.digest).toBe(gz2.descriptor.digest);
    expect(gz.descriptor.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(gz.descriptor.annotations['containerd.io/uncompressed']).toBe(plain.diffID);
  });

  it('streams to a Writable and ends it', async () => {
    writeFileSync(join(upper, 'f'), 'hello');
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    });
    const d = await diff({ upper, output: sink });
    expect(sink.writableEnded).toBe(true);
    expect(Buffer.concat(chunks).length).toBe(d.descriptor.size);
  });

  it('leaves no output and no temp file when it fails mid-stream', async () => {
    writeFileSync(join(upper, 'big'), Buffer.alloc(3 << 20, 1));
    writeFileSync(join(upper, 'z.wh.fine'), '');
    mkdirSync(join(upper, 'zz'));
    writeFileSync(join(upper, 'zz/.wh.bad'), '');
    await expect(diff({ upper, output: join(root, 'out.tar') })).rejects.toMatchObject({ code: 'E_UNREPRESENTABLE' });
    expect(readdirSync(root).sort()).toEqual(['lower', 'upper']);
  });

  it('rejects bad inputs naming the path', async () => {
    const output = join(root, 'o.tar');
    await expect(diff({ upper: join(root, 'missing'), output })).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringContaining('missing') });
    writeFileSync(join(root, 'file'), '');
    await expect(diff({ upper: join(root, 'file'), output })).rejects.toMatchObject({ code: 'E_NOT_DIRECTORY' });
    await expect(diff({ upper, lowers: [join(root, 'nolower')], output })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      message: expect.stringContaining('nolower'),
    });
    await expect(diff({ upper, output: join(root, 'nodir/o.tar') })).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringContaining('nodir') });
    // @ts-expect-error: an invalid namespace from an untyped caller
    await expect(diff({ upper, output, xattrNamespace: 'system' })).rejects.toMatchObject({ code: 'E_USAGE' });
    expect(readdirSync(root).sort()).toEqual(['file', 'lower', 'upper']);
  });

  it('runs concurrent diffs independently', async () => {
    writeFileSync(join(upper, 'f'), 'one');
    mkdirSync(join(root, 'upper2'));
    writeFileSync(join(root, 'upper2/g'), 'two');
    const [a, b] = await Promise.all([diff({ upper, output: join(root, 'a.tar') }), diff({ upper: join(root, 'upper2'), output: join(root, 'b.tar') })]);
    expect(listTar(join(root, 'a.tar')).map((m) => m.name)).toEqual(['f']);
    expect(listTar(join(root, 'b.tar')).map((m) => m.name)).toEqual(['g']);
    expect(a.diffID).not.toBe(b.diffID);
  });
});

describe('diff with exclude patterns', () => {
  it('neither emits nor whites out an excluded path, and excludes a directory with its subtree', async () => {
    mkdirSync(join(lower, 'cache'));
    writeFileSync(join(lower, 'cache/old'), '');
    mkdirSync(join(upper, 'cache/deep'), { recursive: true });
    writeFileSync(join(upper, 'cache/deep/x'), '');
    writeFileSync(join(upper, 'app.log'), '');
    writeFileSync(join(upper, 'kept'), '');
    await diff({ upper, lowers: [lower], output: join(root, 'o.tar'), exclude: ['cache', '*.log'] });
    expect(listTar(join(root, 'o.tar')).map((m) => m.name)).toEqual(['kept']);
  });

  it('rejects a malformed pattern before writing anything', async () => {
    await expect(diff({ upper, output: join(root, 'o.tar'), exclude: ['[unclosed'] })).rejects.toMatchObject({ code: 'E_USAGE' });
    expect(readdirSync(root).sort()).toEqual(['lower', 'upper']);
  });
});

describe('index=on copy-ups without their lower hardlink set', () => {
  it('stops with an error naming the file instead of leaving the other names unlinked', async () => {
    writeFileSync(join(upper, 'h1'), 'x');
    xattr(join(upper, 'h1'), 'user.overlay.nlink', 'U+1');
    await expect(diff({ upper, lowers: [lower], xattrNamespace: 'user', output: join(root, 'o.tar') })).rejects.toMatchObject({
      code: 'E_UNSUPPORTED_OVERLAY',
      message: expect.stringMatching(/h1: .*index=on.*pass option `workdir`/),
    });
    expect(readdirSync(root).sort()).toEqual(['lower', 'upper']);
  });

  it('refuses an upperdir whose root carries overlay.origin (index=on) without the workdir, and reads an empty index with it', async () => {
    writeFileSync(join(upper, 'f'), 'x');
    xattr(upper, 'user.overlay.origin', 'fh');
    const output = join(root, 'o.tar');
    await expect(diff({ upper, lowers: [lower], xattrNamespace: 'user', output })).rejects.toMatchObject({
      code: 'E_UNSUPPORTED_OVERLAY',
      message: expect.stringContaining('pass option `workdir`'),
    });
    mkdirSync(join(root, 'work/index'), { recursive: true });
    const descriptor = await diff({ upper, lowers: [lower], workdir: join(root, 'work'), xattrNamespace: 'user', output });
    expect(descriptor.stats.entries).toBe(1);
    await expect(diff({ upper: [upper, lower], workdir: join(root, 'work'), output })).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('refuses a workdir index entry that is not named by an overlay file handle', async () => {
    mkdirSync(join(root, 'work/index'), { recursive: true });
    writeFileSync(join(root, 'work/index/stray'), '');
    writeFileSync(join(root, 'work/index/#1f'), ''); // the kernel's temporary name: skipped
    await expect(diff({ upper, workdir: join(root, 'work'), output: join(root, 'o.tar') })).rejects.toMatchObject({
      code: 'E_UNSUPPORTED_OVERLAY',
      message: expect.stringContaining('index/stray: not an overlay index entry'),
    });
  });
});
