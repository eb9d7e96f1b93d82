import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useCapturedOutput } from '../../fixtures/captured-output.js';
import { main } from './main.js';

const output = useCapturedOutput();
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-cli-'));
  mkdirSync(join(root, 'upper'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('overlaydiff CLI', () => {
  it('prints the descriptor as JSON and exits 0', async () => {
    writeFileSync(join(root, 'upper/f'), 'x');
    const code = await main(['diff', '--upper', join(root, 'upper'), '-o', join(root, 'l.tar'), '--json']);
    expect(code).toBe(0);
    const descriptor = JSON.parse(output.out) as { diffID: string; stats: { entries: number } };
    expect(descriptor.diffID).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(descriptor.stats.entries).toBe(1);
  });

  it('exits 2 on usage errors and explains them', async () => {
    expect(await main(['diff'])).toBe(2);
    expect(output.err).toContain('--upper is required');
    expect(await main(['diff', '--upper', root, '--xattr-namespace', 'system', '-o', 'x'])).toBe(2);
    expect(output.err).toContain('trusted or user');
    expect(await main(['diff', '--bogus'])).toBe(2);
    expect(await main(['frobnicate'])).toBe(2);
  });

  it('exits 1 naming the path when the upperdir is missing, writing nothing', async () => {
    const code = await main(['diff', '--upper', join(root, 'nope'), '-o', join(root, 'l.tar')]);
    expect(code).toBe(1);
    expect(output.err).toContain(join(root, 'nope'));
    expect(output.err).toContain('E_NOT_FOUND');
    expect(readdirSync(root)).toEqual(['upper']);
  });

  it('states the default namespace in --help and prints --version', async () => {
    expect(await main(['diff', '--help'])).toBe(0);
    expect(output.out).toMatch(/trusted \(default/);
    output.out = '';
    expect(await main(['--version'])).toBe(0);
    expect(output.out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
