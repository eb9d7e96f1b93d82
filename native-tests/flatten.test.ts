// flatten -o, applied, must equal applying the layers one by one (go-containerregistry #977, #2002, #2372).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listTar } from './harness/layer.js';
import { REPO } from './harness/overlay.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const MANIFEST = join(REPO, 'native-tests/harness/manifest.py');
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-flatten-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

type Spec = [name: string, kind: 'file' | 'dir' | 'link' | 'symlink' | 'whiteout', arg?: string][];

// Layers written by Python's tarfile, independent of overlaydiff.
function layer(name: string, members: Spec): string {
  const path = join(root, name);
  const script = String.raw`
import io, json, sys, tarfile
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as tf:
    for name, kind, arg in json.loads(sys.argv[2]):
        ti = tarfile.TarInfo(name); ti.mtime = 1600000000
        if kind == 'dir': ti.type = tarfile.DIRTYPE; ti.mode = 0o755; tf.addfile(ti)
        elif kind == 'link': ti.type = tarfile.LNKTYPE; ti.linkname = arg; tf.addfile(ti)
        elif kind == 'symlink': ti.type = tarfile.SYMTYPE; ti.linkname = arg; tf.addfile(ti)
        else:
            data = (arg or '').encode(); ti.size = len(data); ti.mode = 0o644 if kind == 'file' else 0
            tf.addfile(ti, io.BytesIO(data))
`;
  execFileSync('python3', ['-c', script, path, JSON.stringify(members.map(([n, k, a]) => [n, k, a ?? null]))]);
  return path;
}

function cli(args: string[]): void {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`overlaydiff ${args.join(' ')} failed: ${r.stderr}`);
}

function manifest(dir: string): unknown {
  return JSON.parse(execFileSync('python3', [MANIFEST, dir], { encoding: 'utf8' }));
}

/** Flattens to a tar and applies it, applies the layers one by one, and returns both manifests. */
function both(layers: string[]): { flat: unknown; sequential: unknown; tar: string } {
  const tar = join(root, 'flat.tar');
  cli(['flatten', ...layers, '-o', tar]);
  const viaTar = join(root, 'via-tar');
  const sequential = join(root, 'sequential');
  mkdirSync(viaTar);
  mkdirSync(sequential);
  cli(['apply', tar, viaTar]);
  cli(['flatten', ...layers, '--dir', sequential]);
  return { flat: manifest(viaTar), sequential: manifest(sequential), tar };
}

describe('flatten against applying layers in order', () => {
  it('#977: a hardlink keeps its content when a later layer deletes its target', () => {
    const r = both([
      layer('1.tar', [
        ['a', 'file', 'original'],
        ['b', 'link', 'a'],
        ['c', 'link', 'a'],
      ]),
      layer('2.tar', [['.wh.a', 'whiteout']]),
    ]);
    expect(r.flat).toEqual(r.sequential);
    expect(listTar(r.tar).map((m) => [m.name, m.type, m.linkname])).toEqual([
      ['b', 'file', ''],
      ['c', 'hardlink', 'b'],
    ]);
  });

  it('#2002: a link keeps the old content when its target is overwritten; a later link to an earlier file works', () => {
    const r = both([
      layer('1.tar', [
        ['d', 'dir'],
        ['d/a', 'file', 'v1'],
        ['z', 'link', 'd/a'],
      ]),
      layer('2.tar', [
        ['d/a', 'file', 'v2'],
        ['y', 'link', 'z'],
        ['w', 'link', 'd/a'],
      ]),
    ]);
    expect(r.flat).toEqual(r.sequential);
    expect((r.flat as { hardlinks: string[][] }).hardlinks).toEqual([
      ['d/a', 'w'],
      ['y', 'z'],
    ]);
  });

  it('#2372: opaque markers and subtree whiteouts; file → dir → file; symlinks', () => {
    const r = both([
      layer('1.tar', [
        ['d', 'dir'],
        ['d/old', 'file', 'o'],
        ['t', 'dir'],
        ['t/x', 'file', 'x'],
        ['x', 'file', 'f'],
        ['s', 'symlink', 't/x'],
      ]),
      layer('2.tar', [
        ['d', 'dir'],
        ['d/new', 'file', 'n'],
        ['d/.wh..wh..opq', 'whiteout'],
        ['.wh.t', 'whiteout'],
        ['x', 'dir'],
        ['x/in', 'file', 'i'],
      ]),
      layer('3.tar', [
        ['.wh.x', 'whiteout'],
        ['x', 'file', 'back'],
        ['s', 'symlink', 'd/new'],
      ]),
    ]);
    expect(r.flat).toEqual(r.sequential);
    expect(listTar(r.tar).map((m) => m.name)).toEqual(['d/', 'd/new', 's', 'x']);
  });
});
