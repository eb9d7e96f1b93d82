import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listTar } from '../../fixtures/tar-members.js';
import { flatten } from './flatten.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-flatten-test-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

// Builds a layer with Python's tarfile from [name, kind, arg] triples: an independent writer.
function layer(name: string, members: [string, 'file' | 'dir' | 'link' | 'whiteout', string?][], gzip = false): string {
  const path = join(root, name);
  const script = String.raw`
import io, json, sys, tarfile
path, gz, members = sys.argv[1], sys.argv[2] == '1', json.loads(sys.argv[3])
with tarfile.open(path, 'w:gz' if gz else 'w', format=tarfile.PAX_FORMAT) as tf:
    for name, kind, arg in members:
        ti = tarfile.TarInfo(name)
        if kind == 'dir': ti.type = tarfile.DIRTYPE; ti.mode = 0o755; tf.addfile(ti)
        elif kind == 'link': ti.type = tarfile.LNKTYPE; ti.linkname = arg; tf.addfile(ti)
        else:
            data = (arg or '').encode(); ti.size = len(data); ti.mode = 0o644 if kind == 'file' else 0
            tf.addfile(ti, io.BytesIO(data))
`;
  execFileSync('python3', ['-c', script, path, gzip ? '1' : '0', JSON.stringify(members.map(([n, k, a]) => [k === 'whiteout' ? n : n, k, a ?? null]))]);
  return path;
}

// Member contents of a tar, read by Python: name → data (links resolved by the reader).
function contents(path: string): Record<string, string> {
  const script =
    'import json,sys,tarfile\nwith tarfile.open(sys.argv[1]) as tf:\n  print(json.dumps({m.name: tf.extractfile(m).read().decode() for m in tf if m.isfile() or m.islnk()}))';
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' })) as Record<string, string>;
}

describe('flatten', () => {
  it('keeps a hardlink’s content when a later layer deletes its target (go-containerregistry #977)', async () => {
    const l1 = layer('l1.tar', [
      ['a', 'file', 'original'],
      ['b', 'link', 'a'],
    ]);
    const l2 = layer('l2.tar.gz', [['.wh.a', 'whiteout']], true);
    const out = join(root, 'flat.tar');
    const result = await flatten({ layers: [l1, l2], output: out, tempDir: root });
    expect(listTar(out).map((m) => [m.name, m.type])).toEqual([['b', 'file']]);
    expect(contents(out)).toEqual({ b: 'original' });
    expect(result.diffID).toBe(`sha256:${createHash('sha256').update(readFileSync(out)).digest('hex')}`);
  });

  it('keeps old content for a link whose target is overwritten, links later names to the first (#2002)', async () => {
    const l1 = layer('l1.tar', [
      ['d', 'dir'],
      ['d/a', 'file', 'v1'],
      ['z', 'link', 'd/a'],
    ]);
    const l2 = layer('l2.tar', [
      ['d/a', 'file', 'v2'],
      ['y', 'link', 'z'],
    ]);
    const out = join(root, 'flat.tar');
    await flatten({ layers: [l1, l2], output: out, tempDir: root });
    expect(listTar(out).map((m) => [m.name, m.type, m.linkname])).toEqual([
      ['d/', 'dir', ''],
      ['d/a', 'file', ''],
      ['y', 'file', ''],
      ['z', 'hardlink', 'y'],
    ]);
    expect(contents(out)).toEqual({ 'd/a': 'v2', y: 'v1', z: 'v1' });
  });

  it('honours opaque markers and whiteouts of whole subtrees (#2372)', async () => {
    const l1 = layer('l1.tar', [
      ['d', 'dir'],
      ['d/old', 'file', 'o'],
      ['t', 'dir'],
      ['t/x', 'file', 'x'],
    ]);
    const l2 = layer('l2.tar', [
      ['d', 'dir'],
      ['d/new', 'file', 'n'],
      ['d/.wh..wh..opq', 'whiteout'],
      ['.wh.t', 'whiteout'],
    ]);
    const out = join(root, 'flat.tar');
    await flatten({ layers: [l1, l2], output: out, tempDir: root });
    expect(listTar(out).map((m) => m.name)).toEqual(['d/', 'd/new']);
    expect(readdirNames(root).filter((n) => n.startsWith('overlaydiff-flatten-'))).toEqual([]);
  });
});

function readdirNames(dir: string): string[] {
  return execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).split('\n').filter(Boolean);
}
