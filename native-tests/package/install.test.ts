// The packed tarball installed into an empty project, as a user would, without running install scripts:
// nothing native is needed to load the package, and what needs the addon says how to get it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../harness/overlay.js';

let root: string;
let project: string;
let bin: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-install-'));
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', root], { cwd: REPO, stdio: 'ignore' });
  const [tarball] = readdirSync(root).filter((f) => f.endsWith('.tgz'));
  project = join(root, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{"name":"consumer","private":true}\n');
  // --ignore-scripts: no addon is built and zstd-napi has no binary, as when the toolchain is missing.
  execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', join(root, tarball!)], { cwd: project, stdio: 'ignore' });
  bin = join(project, 'node_modules/.bin/overlaydiff');
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = (args: string[]): ReturnType<typeof spawnSync> => spawnSync(bin, args, { cwd: project, encoding: 'utf8' });

describe('an install that built nothing', () => {
  it('runs --version and --help', () => {
    expect(run(['--version'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/), stderr: '' });
    expect(run(['diff', '--help'])).toMatchObject({ status: 0, stderr: '' });
  });

  it('loads the library from ESM and CommonJS', () => {
    writeFileSync(join(project, 'a.mjs'), "import { diff } from 'overlaydiff'; import { createRequire } from 'node:module';\nconsole.log(typeof diff, typeof createRequire(import.meta.url)('overlaydiff').apply);\n");
    expect(spawnSync(process.execPath, ['a.mjs'], { cwd: project, encoding: 'utf8' })).toMatchObject({ status: 0, stdout: 'function function\n' });
  });

  it('says the native addon is missing and how to build it when diff needs it', () => {
    const upper = join(root, 'upper');
    mkdirSync(upper);
    writeFileSync(join(upper, 'f'), 'x');
    const r = run(['diff', '--upper', upper, '-o', join(root, 'l.tar')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^overlaydiff: .*the native addon is missing: .*xattr\.node could not be loaded .*npm rebuild overlaydiff/);
    expect(r.stderr).not.toMatch(/\n {4}at /);
  });

  it('applies a gzip layer, and says how to get zstd for a zstd one', () => {
    mkdirSync(join(root, 'tree'));
    writeFileSync(join(root, 'tree/f'), 'x');
    execFileSync('tar', ['-C', join(root, 'tree'), '-cf', join(root, 'l.tar'), 'f']);
    execFileSync('gzip', ['-k', join(root, 'l.tar')]);
    execFileSync('zstd', ['-q', join(root, 'l.tar'), '-o', join(root, 'l.tar.zst')]);
    mkdirSync(join(root, 'gz'));
    expect(run(['apply', join(root, 'l.tar.gz'), join(root, 'gz')])).toMatchObject({ status: 0, stderr: '' });
    mkdirSync(join(root, 'zst'));
    const zstd = run(['apply', join(root, 'l.tar.zst'), join(root, 'zst')]);
    expect(zstd.status).toBe(1);
    expect(zstd.stderr).toMatch(/^overlaydiff: zstd is not available: the optional dependency zstd-napi did not load .* has no built-in zstd \(Node >= 22\.15 has\)\. /);
  });
});
