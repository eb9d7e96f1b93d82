// The overlaydiff program as a user runs it: streams, exit codes and messages for bad input.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO } from './harness/overlay.js';
import { parseDiffReport } from './harness/diff-report.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-cli-'));
  mkdirSync(join(root, 'upper'));
  writeFileSync(join(root, 'upper/f'), 'hello');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function run(args: string[], prefix: string[] = []): SpawnSyncReturns<Buffer> {
  const argv = [...prefix, process.execPath, CLI, ...args];
  return spawnSync(argv[0]!, argv.slice(1));
}

describe('overlaydiff diff output', () => {
  it.each([[['-o', '-']], [[]]])('streams the layer to a piped stdout (args %j) and the descriptor to stderr', (extra) => {
    const r = run(['diff', '--upper', join(root, 'upper'), '--json', ...extra]);
    expect(r.status).toBe(0);
    const descriptor = parseDiffReport(r.stderr.toString());
    expect(descriptor.diffID).toBe(`sha256:${createHash('sha256').update(r.stdout).digest('hex')}`);
    expect(r.stdout.length).toBe(descriptor.size);
  });

  it('refuses to write a tar to a terminal', () => {
    // `script` gives the program a real TTY as stdout.
    const r = spawnSync('script', ['-qec', `${process.execPath} ${CLI} diff --upper ${join(root, 'upper')}`, '/dev/null']);
    expect(r.status).toBe(2);
    expect(r.stdout.toString()).toContain('refusing to write a tar to a terminal');
  });
});

describe('overlaydiff diff on bad input', () => {
  const expectFailure = (r: SpawnSyncReturns<Buffer>, status: number, ...fragments: string[]): void => {
    expect(r.status).toBe(status);
    for (const f of fragments) expect(r.stderr.toString()).toContain(f);
    expect(readdirSync(root).filter((n) => n !== 'upper' && n !== 'file' && n !== 'locked')).toEqual([]);
  };

  it('names a missing upperdir', () => {
    expectFailure(run(['diff', '--upper', join(root, 'missing'), '-o', join(root, 'o.tar')]), 1, join(root, 'missing'), 'E_NOT_FOUND');
  });

  it('names a lowerdir that is a file', () => {
    writeFileSync(join(root, 'file'), '');
    expectFailure(
      run(['diff', '--upper', join(root, 'upper'), '--lower', join(root, 'file'), '-o', join(root, 'o.tar')]),
      1,
      join(root, 'file'),
      'not a directory',
    );
  });

  it('rejects an invalid namespace as a usage error', () => {
    expectFailure(run(['diff', '--upper', join(root, 'upper'), '--xattr-namespace', 'security', '-o', join(root, 'o.tar')]), 2, 'trusted or user');
  });

  it('names a missing output directory', () => {
    expectFailure(run(['diff', '--upper', join(root, 'upper'), '-o', join(root, 'nodir/o.tar')]), 1, join(root, 'nodir'), 'does not exist');
  });

  it('names an unreadable directory inside the upper, leaving no output', () => {
    mkdirSync(join(root, 'upper/locked'));
    chmodSync(join(root, 'upper/locked'), 0o000);
    chmodSync(root, 0o777);
    // As root everything is readable: run the differ as nobody to meet a real EACCES.
    // Unprivileged, the trusted namespace is refused up front (E_PERMISSION): use the user namespace.
    const r = run(
      ['diff', '--upper', join(root, 'upper'), '--xattr-namespace', 'user', '-o', join(root, 'o.tar')],
      ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
    );
    expectFailure(r, 1, join(root, 'upper/locked'), 'EACCES');
  });
});
