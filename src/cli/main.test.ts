import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.js';

let root: string;
let out: string;
let err: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-cli-'));
  mkdirSync(join(root, 'upper'));
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += chunk.toString();
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

describe('overlaydiff CLI', () => {
  it('prints the descriptor as JSON and exits 0', async () => {
    writeFileSync(join(root, 'upper/f'), 'x');
    const code = await main(['diff', '--upper', join(root, 'upper'), '-o', join(root, 'l.tar'), '--json']);
    expect(code).toBe(0);
    const descriptor = JSON.parse(out) as { diffID: string; stats: { entries: number } };
    expect(descriptor.diffID).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(descriptor.stats.entries).toBe(1);
  });

  it('exits 2 on usage errors and explains them', async () => {
    expect(await main(['diff'])).toBe(2);
    expect(err).toContain('--upper is required');
    expect(await main(['diff', '--upper', root, '--xattr-namespace', 'system', '-o', 'x'])).toBe(2);
    expect(err).toContain('trusted or user');
    expect(await main(['diff', '--bogus'])).toBe(2);
    expect(await main(['frobnicate'])).toBe(2);
  });

  it('exits 1 naming the path when the upperdir is missing, writing nothing', async () => {
    const code = await main(['diff', '--upper', join(root, 'nope'), '-o', join(root, 'l.tar')]);
    expect(code).toBe(1);
    expect(err).toContain(join(root, 'nope'));
    expect(err).toContain('E_NOT_FOUND');
    expect(readdirSync(root)).toEqual(['upper']);
  });

  it('states the default namespace in --help and prints --version', async () => {
    expect(await main(['diff', '--help'])).toBe(0);
    expect(out).toMatch(/trusted \(default/);
    out = '';
    expect(await main(['--version'])).toBe(0);
    expect(out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
