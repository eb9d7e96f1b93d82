// Member names with control bytes (newline, ESC, NUL-free C0, DEL, C1) are escaped wherever they
// are shown: `inspect` listings (text and lint findings) and errors. A name cannot forge a line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tarOf } from '../fixtures/layer-tar.js';
import { REPO } from './harness/overlay.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const work = mkdtempSync(join(tmpdir(), 'overlaydiff-escaped-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const FORGED = 'a\n- 0644 0:0 1 forged\u001b[2J\u007f\u009b';
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('names with control bytes', () => {
  it('are escaped in inspect --lint listings and findings, one line per member', () => {
    const layer = join(work, 'ctl.tar');
    writeFileSync(
      layer,
      tarOf([
        { path: FORGED, data: 'x', xattrs: [{ name: Buffer.from('user.x\ny'), value: Buffer.from('v') }] },
        { path: 'l', type: 'symlink', linkTarget: Buffer.from(`t\u001b]0;title\u0007`) },
        { path: `.wh.${FORGED}`, data: '' },
      ]),
    );
    const r = spawnSync(process.execPath, [CLI, 'inspect', '--lint', layer], { encoding: 'utf8' });
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stdout).toContain('a\\x0a- 0644 0:0 1 forged\\x1b[2J\\x7f\\xc2\\x9b');
    expect(r.stdout.split('\n').filter((line) => line.includes('forged')).length).toBeGreaterThanOrEqual(2);
    expect(r.stdout.split('\n').some((line) => line.startsWith('- 0644 0:0 1 forged'))).toBe(false);
  });

  it('are escaped in apply errors', () => {
    const layer = join(work, 'ctl-bad.tar');
    writeFileSync(layer, tarOf([{ path: `${FORGED}/../../x`, data: 'x' }]));
    const target = join(work, 'target');
    spawnSync('mkdir', ['-p', target]);
    const r = spawnSync(process.execPath, [CLI, 'apply', layer, target], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
