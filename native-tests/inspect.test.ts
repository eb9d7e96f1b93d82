// `overlaydiff inspect --lint` on real overlay layers: our own layers are clean; a hand-made bad one
// (python tarfile) is flagged for every rule.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { LINT_RULES } from '../src/inspect/inspect.js';
import { REPO, namespaceOf, type Scenario } from './harness/overlay.js';
import { forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const scenario = useScenarios();
const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');

interface InspectJson {
  compression: string;
  digest: string;
  diffID: string;
  entries: { path: string; kind: string }[];
  findings: { rule: string; path: string; message: string }[];
}

function inspect(s: Scenario, layer: string, extra: string[] = []): { code: number; json: InspectJson; stderr: string } {
  const args = [CLI, 'inspect', layer, '--json', '--lint', '--lower', s.lowers.join(':'), '--xattr-namespace', namespaceOf(s.mode), ...extra];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`inspect failed (${r.status}): ${r.stderr}`);
  return { code: r.status, json: JSON.parse(r.stdout) as InspectJson, stderr: r.stderr };
}

describe('overlaydiff inspect --lint', () => {
  forModes(['trusted', 'user'] as const, '%s: our own layers (plain, gzip, zstd) lint clean', (mode) => {
    const s = scenario(mode, 2);
    const ns = namespaceOf(mode);
    s.prepare(`
      mkdir -p $L1/a/b $L1/o/p $L1/s/d2f; echo 1 > $L1/a/b/f; echo 1 > $L1/o/p/q; echo 1 > $L1/gone; echo x > $L1/s/f2d
      mkdir -p $L0/a $L0/lowerwh; mknod $L0/hidden c 0 0; echo 0 > $L0/a/g
      python3 -c 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], b"y")' $L0/lowerwh ${ns}.overlay.opaque
    `);
    s.change(`
      rm -rf o && mkdir -p o/new && echo n > o/new/f
      rm gone a/g; echo new > a/b/f2; echo x > hidden
      rm s/f2d && mkdir s/f2d && echo in > s/f2d/x; rm -rf s/d2f && echo file > s/d2f
      mkdir -p z/y/x 'with space' && echo deep > z/y/x/w && ln z/y/x/w hard; mkfifo fifo
      setfattr -n user.note -v v a/b/f2; echo bytes > "$(printf 'non-utf8-\\377')"
    `);
    for (const compression of ['none', 'gzip', 'zstd'] as const) {
      const d = s.diff(['--compression', compression], `layer.${compression}`);
      expect(d.code, d.stderr).toBe(0);
      const { code, json } = inspect(s, d.layer);
      expect(json.findings).toEqual([]);
      expect(code).toBe(0);
      expect(json.compression).toBe(compression);
      expect(json.diffID).toBe(d.descriptor!.diffID);
      const kinds = new Map(json.entries.map((e) => [e.path, e.kind]));
      expect(kinds.get('o/.wh..wh..opq')).toBe('opaque');
      expect(kinds.get('.wh.gone')).toBe('whiteout');
      expect(kinds.get('a/.wh.g')).toBe('whiteout');
    }
  });

  forModes(['trusted', 'user'] as const, '%s: an image of a real snapshot in a layout lints clean, each layer against those below', (mode) => {
    const s = scenario(mode, 1);
    s.prepare('mkdir -p $L0/etc/app $L0/var/cache $L0/opt; echo 1 > $L0/etc/app/conf; echo 1 > $L0/gone; echo c > $L0/var/cache/x');
    s.change('rm gone; rm -rf var/cache && mkdir var/cache && echo y > var/cache/y; echo 2 > etc/app/conf; mkdir -p opt/new && echo n > opt/new/f');
    const layout = join(s.root, 'layout');
    const base = spawnSync(process.execPath, [CLI, 'diff', '--upper', s.lowers[0]!, '--layout', layout, '--tag', 'base'], { encoding: 'utf8' });
    expect(base.status, base.stderr).toBe(0);
    const d = s.diff(['--layout', layout, '--tag', 'app', '--base', 'base', '--compression', 'gzip']);
    expect(d.code, d.stderr).toBe(0);
    const r = spawnSync(process.execPath, [CLI, 'inspect', '--layout', layout, '--tag', 'app', '--lint', '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const doc = JSON.parse(r.stdout) as { layers: (InspectJson & { mismatches: string[] })[] };
    expect(doc.layers.map((l) => [l.compression, l.findings, l.mismatches])).toEqual([
      ['none', [], []],
      ['gzip', [], []],
    ]);
    const top = new Map(doc.layers[1]!.entries.map((e) => [e.path, e.kind]));
    expect(top.get('.wh.gone')).toBe('whiteout');
    expect(top.get('var/cache/.wh..wh..opq')).toBe('opaque');
    // The same top layer checked against an empty lower instead of its base is flagged.
    const empty = join(s.root, 'empty-lower');
    mkdirSync(empty);
    const blob = join(layout, 'blobs', 'sha256', doc.layers[1]!.digest.slice('sha256:'.length));
    const alone = spawnSync(process.execPath, [CLI, 'inspect', blob, '--lint', '--lower', empty, '--json'], { encoding: 'utf8' });
    expect(alone.status).toBe(1);
    expect([...new Set((JSON.parse(alone.stdout) as InspectJson).findings.map((f) => f.rule))].sort()).toEqual(['opaque-no-lower', 'whiteout-absent']);
  });

  forModes(['trusted'] as const, '%s: a hand-made bad layer is flagged for every rule', () => {
    const s = scenario('trusted', 1);
    s.prepare(`mkdir -p $L0/a; echo 1 > $L0/kept`);
    const layer = join(s.root, 'bad.tar');
    const script = `
import io, sys, tarfile
def add(tf, name, kind=tarfile.REGTYPE, pax=None, dev=None):
    ti = tarfile.TarInfo(name); ti.type = kind; ti.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    if pax: ti.pax_headers = pax
    if dev: ti.devmajor, ti.devminor = dev
    tf.addfile(ti, io.BytesIO(b'') if kind == tarfile.REGTYPE else None)
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as tf:
    add(tf, 'a', tarfile.DIRTYPE)
    add(tf, 'a/f', pax={'SCHILY.xattr.trusted.overlay.origin': 'x'})
    add(tf, 'a/h', pax={'SCHILY.xattr.user.empty': ''})
    add(tf, 'cw', tarfile.CHRTYPE, dev=(0, 0))
    add(tf, 'dup'); add(tf, 'dup')
    add(tf, 'n', tarfile.DIRTYPE); add(tf, 'n/.wh..wh..opq')
    add(tf, 'p/q'); add(tf, 'p', tarfile.DIRTYPE)
    add(tf, 'x'); add(tf, '.wh.zzz')
`;
    const py = spawnSync('python3', ['-c', script, layer], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const { code, json } = inspect(s, layer);
    expect(code).toBe(1);
    expect([...new Set(json.findings.map((f) => f.rule))].sort()).toEqual([...LINT_RULES].sort());
    const text = spawnSync(process.execPath, [CLI, 'inspect', layer, '--lint', '--lower', s.lowers.join(':')], { encoding: 'utf8' });
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^lint: whiteout-absent: \.wh\.zzz: /m);
  });
});
