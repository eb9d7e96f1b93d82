import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useCapturedOutput } from '../../fixtures/captured-output.js';
import { tarOf } from '../../fixtures/layer-tar.js';
import { parseApplyArgs } from './apply-command.js';
import { main } from './main.js';

const output = useCapturedOutput();
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-apply-cli-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function writeLayer(path: string): void {
  writeFileSync(path, tarOf([{ path: 'greeting', data: 'hi\n', xattrs: [{ name: Buffer.from('trusted.overlay.origin'), value: Buffer.from('x') }] }]));
}

describe('overlaydiff apply', () => {
  it('applies a layer and prints the result as JSON, with the private xattr count', async () => {
    const layer = join(root, 'layer.tar');
    const dir = join(root, 'dir');
    mkdirSync(dir);
    writeLayer(layer);
    expect(await main(['apply', layer, dir, '--json'])).toBe(0);
    expect(readFileSync(join(dir, 'greeting'), 'utf8')).toBe('hi\n');
    const result = JSON.parse(output.out) as Record<string, unknown>;
    expect(result).toMatchObject({ entries: 1, privateXattrsDropped: 1, compression: 'none' });
    expect(result['diffID']).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('exits 1 with the code on a diffID mismatch', async () => {
    const layer = join(root, 'layer.tar');
    mkdirSync(join(root, 'dir'));
    writeLayer(layer);
    expect(await main(['apply', layer, join(root, 'dir'), '--diff-id', `sha256:${'a'.repeat(64)}`])).toBe(1);
    expect(output.err).toMatch(/must be discarded \[E_BAD_ARCHIVE\]/);
  });

  it('exits 2 on usage errors', async () => {
    expect(await main(['apply', 'only-one'])).toBe(2);
    expect(await main(['apply', 'a', 'b', '--format', 'squashfs'])).toBe(2);
    expect(await main(['apply', 'a', 'b', '--diff-id', 'md5:1'])).toBe(2);
  });

  it('parses every option', () => {
    expect(parseApplyArgs(['L', 'D', '--format', 'overlay', '--xattr-namespace', 'user', '--same-owner', '--json', '--no-progress'])).toEqual({
      layer: 'L',
      dir: 'D',
      options: { format: 'overlay', xattrNamespace: 'user', sameOwner: true },
      json: true,
      progress: false,
    });
    expect(parseApplyArgs(['L', 'D']).progress).toBe(true);
  });
});
