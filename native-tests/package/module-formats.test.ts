// The package as a dependency: import and require (Node >= 20.19 loads ESM from require), the exported subpaths.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../harness/overlay.js';

let project: string;
beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'overlaydiff-consumer-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(REPO, join(project, 'node_modules/overlaydiff'));
  writeFileSync(join(project, 'package.json'), '{"name":"consumer","private":true}\n');
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

function node(file: string, code: string): { status: number | null; stdout: string; stderr: string } {
  writeFileSync(join(project, file), code);
  return spawnSync(process.execPath, [join(project, file)], { cwd: project, encoding: 'utf8' });
}

const { version } = JSON.parse(
  spawnSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(join(REPO, 'package.json'))}))`], { encoding: 'utf8' }).stdout,
) as { version: string };

describe('overlaydiff as a dependency', () => {
  it('loads with require() from CommonJS', () => {
    const r = node(
      'a.cjs',
      `const o = require('overlaydiff'); console.log(typeof o.diff, typeof o.apply, o.MEDIA_TYPE_TAR_GZIP, require('overlaydiff/package.json').version);\n`,
    );
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.stdout).toBe(`function function application/vnd.oci.image.layer.v1.tar+gzip ${version}\n`);
    expect(r.status).toBe(0);
  });

  it('loads with import from ESM', () => {
    const r = node(
      'b.mjs',
      `import { diff, OverlaydiffError } from 'overlaydiff';\nimport pkg from 'overlaydiff/package.json' with { type: 'json' };\nconsole.log(typeof diff, typeof OverlaydiffError, pkg.version);\n`,
    );
    expect(r.stdout).toBe(`function function ${version}\n`);
    expect(r.status).toBe(0);
  });

  it('exposes no internal module', () => {
    const r = node('c.cjs', `try { require('overlaydiff/dist/store/fault-points.js'); console.log('reachable'); } catch (e) { console.log(e.code); }\n`);
    expect(r.stdout).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED\n');
  });
});
