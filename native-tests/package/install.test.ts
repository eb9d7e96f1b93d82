// The packed tarball installed as a user would, into an empty project, with no C compiler, python3 or
// make on PATH: the prebuilt addon serves, zstd-napi drops out, and diff works on a real overlay.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, existsSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../harness/overlay.js';

const TOOLS = ['node', 'npm', 'npx', 'sh', 'bash', 'env'];
let root: string;
let project: string;
let env: NodeJS.ProcessEnv;
let installSeconds: number;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-install-'));
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', root], { cwd: REPO, stdio: 'ignore' });
  const [tarball] = readdirSync(root).filter((f) => f.endsWith('.tgz'));
  // A PATH with node and npm and a shell, nothing to compile with.
  const bin = join(root, 'bin');
  mkdirSync(bin);
  for (const tool of TOOLS) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
  env = { HOME: process.env['HOME'] ?? '/root', PATH: bin };
  project = join(root, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{"name":"consumer","private":true}\n');
  const start = performance.now();
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(root, tarball!)], { cwd: project, env, stdio: 'ignore' });
  installSeconds = (performance.now() - start) / 1000;
  console.log(`npm install of ${tarball} without a toolchain: ${installSeconds.toFixed(1)} s`);
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cli = (args: string[]): ReturnType<typeof spawnSync> =>
  spawnSync(join(project, 'node_modules/.bin/overlaydiff'), args, { cwd: project, env, encoding: 'utf8' });
const sh = (script: string): string => execFileSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, encoding: 'utf8' });

describe('an install without a C toolchain', () => {
  it('had nothing to compile with and compiled nothing', () => {
    expect(spawnSync('sh', ['-c', 'command -v cc gcc python3 make'], { env }).status).not.toBe(0);
    expect(existsSync(join(project, 'node_modules/overlaydiff/build'))).toBe(false);
    expect(existsSync(join(project, 'node_modules/overlaydiff/prebuilds/linux-x64/node.napi.glibc.node'))).toBe(true);
    // The optional zstd-napi could not build and was left out.
    expect(existsSync(join(project, 'node_modules/zstd-napi'))).toBe(false);
  });

  it('diffs a real overlay from the CLI and from the library (ESM and CommonJS), as the checkout does', () => {
    sh(`mkdir -p lower upper work merged
      echo keep > lower/keep; echo gone > lower/gone; mkdir lower/dir; echo old > lower/dir/old
      mount -t overlay overlay -o lowerdir=lower,upperdir=upper,workdir=work merged
      rm merged/gone; rm -r merged/dir; mkdir merged/dir; echo new > merged/dir/new; setfattr -n user.k -v v merged/keep
      umount merged`);
    const args = ['diff', '--upper', join(root, 'upper'), '--lower', join(root, 'lower'), '--json'];
    const expected = JSON.parse(execFileSync(process.execPath, [join(REPO, 'dist/cli/main.js'), ...args, '-o', join(root, 'a.tar')], { encoding: 'utf8' })) as {
      diffID: string;
      stats: object;
    };
    expect(expected.stats).toMatchObject({ whiteouts: 1, opaqueDirs: 1 });
    const installed = cli([...args, '-o', join(root, 'b.tar')]);
    expect(installed.stderr).toBe('');
    expect(JSON.parse(String(installed.stdout))).toEqual(expected);

    const call = `diff({ upper: ${JSON.stringify(join(root, 'upper'))}, lowers: [${JSON.stringify(join(root, 'lower'))}], output: ${JSON.stringify(join(root, 'c.tar'))} }).then((d) => console.log(d.diffID))`;
    writeFileSync(join(project, 'esm.mjs'), `import { diff } from 'overlaydiff';\n${call};\n`);
    writeFileSync(join(project, 'cjs.cjs'), `const { diff } = require('overlaydiff');\n${call};\n`);
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      expect(spawnSync('node', [file], { cwd: project, env, encoding: 'utf8' })).toMatchObject({ status: 0, stdout: `${expected.diffID}\n` });
    }
  });

  it('applies a gzip layer, and says how to get zstd for a zstd one', () => {
    mkdirSync(join(root, 'tree'));
    writeFileSync(join(root, 'tree/f'), 'x');
    sh('tar -C tree -cf t.tar f && gzip -k t.tar && zstd -q t.tar -o t.tar.zst && mkdir gz zst');
    expect(cli(['apply', join(root, 't.tar.gz'), join(root, 'gz')])).toMatchObject({ status: 0, stderr: '' });
    const zstd = cli(['apply', join(root, 't.tar.zst'), join(root, 'zst')]);
    expect(zstd.status).toBe(1);
    expect(zstd.stderr).toMatch(
      /^overlaydiff: zstd is not available: the optional dependency zstd-napi did not load .* has no built-in zstd \(Node >= 22\.15 has\)\. /,
    );
  });
});
