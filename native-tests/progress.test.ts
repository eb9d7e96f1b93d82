// Progress lines on a real terminal (a pty from script(1)): drawn on stderr for long runs, never
// when stderr is a pipe or --no-progress is given, and erased before the command's own output.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './harness/overlay.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript && process.env['CI'] === 'true') throw new Error('script(1) from util-linux is needed to give the CLI a terminal');

let root: string;
let upper: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-progress-'));
  upper = join(root, 'upper');
  mkdirSync(upper);
  // 256 MiB of holes: about a second of reading, no disk space.
  writeFileSync(join(upper, 'big'), '');
  truncateSync(join(upper, 'big'), 256 * 1024 * 1024);
  for (let i = 0; i < 50; i++) writeFileSync(join(upper, `f${i}`), `${i}\n`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the CLI with a pty as stdin/stdout/stderr; returns everything the terminal showed. */
function onTerminal(args: string[]): { status: number | null; screen: string } {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8' });
  return { status: r.status, screen: r.stdout };
}

/** The progress lines drawn (each starts with \r and ends by erasing the rest of the line). */
function progressLines(screen: string, command: string): string[] {
  return screen.split('\r').filter((s) => s.startsWith(`overlaydiff ${command}: `));
}

describe.runIf(hasScript)('progress on a terminal', () => {
  it('diff, fsck and apply draw entries, bytes and rate, then erase the line before their output', () => {
    const layer = join(root, 'layer.tar');
    const d = onTerminal(['diff', '--upper', upper, '-o', layer]);
    expect(d.status, d.screen).toBe(0);
    const lines = progressLines(d.screen, 'diff');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line).toMatch(/^overlaydiff diff: [\d,]+ entries, [\d.]+ (B|KiB|MiB|GiB), [\d.]+ (B|KiB|MiB|GiB)\/s\x1b\[K$/);
    // The last drawn line is erased, and the descriptor follows on a clean line.
    expect(d.screen).toMatch(/\r\x1b\[Kmedia[tT]ype: application\/vnd\.oci\.image\.layer\.v1\.tar\r?\n/);

    const layout = join(root, 'layout');
    expect(spawnSync(process.execPath, [CLI, 'diff', '--upper', upper, '--layout', layout]).status).toBe(0);
    const f = onTerminal(['fsck', '--layout', layout]);
    expect(f.status, f.screen).toBe(0);
    expect(progressLines(f.screen, 'fsck').length).toBeGreaterThan(0);
    expect(f.screen).toContain('ok: 3 blobs');

    mkdirSync(join(root, 'applied'));
    const a = onTerminal(['apply', layer, join(root, 'applied')]);
    expect(a.status, a.screen).toBe(0);
    expect(progressLines(a.screen, 'apply').length).toBeGreaterThan(0);
  });

  it('draws nothing with --no-progress', () => {
    const r = onTerminal(['diff', '--upper', upper, '-o', join(root, 'quiet.tar'), '--no-progress']);
    expect(r.status, r.screen).toBe(0);
    expect(r.screen).not.toContain('overlaydiff diff:');
    expect(r.screen).not.toContain('\x1b[K');
  });
});

describe('progress off a terminal', () => {
  it('keeps stderr empty when it is a pipe, however long the run', () => {
    const r = spawnSync(process.execPath, [CLI, 'diff', '--upper', upper, '-o', join(root, 'piped.tar')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^mediaType: /);
  });
});
