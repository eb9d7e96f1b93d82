// What `npm pack` ships: the license and changelog, dist without source maps, no fault-injection switch.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../harness/overlay.js';

interface PackedFile {
  path: string;
}

let files: string[];
let root: string;
beforeAll(() => {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, encoding: 'utf8' })) as [
    { files: PackedFile[] },
  ];
  files = pack.files.map((f) => f.path);
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-package-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the package', () => {
  it('ships the license, the changelog, the readme and the built entry points', () => {
    for (const f of [
      'LICENSE',
      'CHANGELOG.md',
      'README.md',
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'dist/man/overlaydiff.1',
      'dist/man/overlaydiff-diff.1',
      'schemas/diff.schema.json',
      'schemas/error.schema.json',
      'prebuilds/linux-x64/node.napi.glibc.node',
      'prebuilds/linux-arm64/node.napi.glibc.node',
      'prebuilds/linux-x64/node.napi.musl.node',
    ])
      expect(files).toContain(f);
    expect(readFileSync(join(REPO, 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004');
  });

  it('ships no source maps, tests or test harness', () => {
    expect(files.filter((f) => f.endsWith('.map') || /\.test\.[jt]s$/.test(f) || f.startsWith('native-tests/') || f.startsWith('fixtures/'))).toEqual([]);
  });

  it('contains no fault-injection switch', () => {
    const suspicious = files
      .filter((f) => f.endsWith('.js'))
      .filter((f) => /OVERLAYDIFF_TEST|process\.kill\(process\.pid/.test(readFileSync(join(REPO, f), 'utf8')));
    expect(suspicious).toEqual([]);
  });

  it('lets the installed CLI ignore the test harness variables', () => {
    const upper = join(root, 'upper');
    mkdirSync(upper);
    writeFileSync(join(upper, 'f'), 'x');
    const r = spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), 'diff', '--upper', upper, '--layout', join(root, 'layout')], {
      encoding: 'utf8',
      env: { ...process.env, OVERLAYDIFF_TEST_CRASH_AT: 'layer-stored', OVERLAYDIFF_TEST_PAUSE_BEFORE_INDEX: join(root, 'pause') },
    });
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
