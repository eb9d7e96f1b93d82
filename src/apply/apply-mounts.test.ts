import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KCONFIG_DEFAULTS } from '../mounts/module-defaults.js';
import { applyMounts } from './apply-mounts.js';
import { diff } from '../diff/diff.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-apply-mounts-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('applyMounts', () => {
  it('applies a gzip layer plain into a bind mount and reports the uncompressed size and diffID', async () => {
    const upper = join(root, 'upper');
    mkdirSync(join(upper, 'd'), { recursive: true });
    writeFileSync(join(upper, 'd/f'), 'content');
    const layer = join(root, 'layer.tgz');
    const plain = await diff({ upper, output: join(root, 'layer.tar') });
    const gz = await diff({ upper, compression: 'gzip', output: layer });
    const target = join(root, 'snapshot');
    mkdirSync(target);
    const result = await applyMounts({
      layer,
      mounts: [{ type: 'bind', source: target, options: ['rw', 'rbind'] }],
      syncFs: true,
      moduleDefaults: KCONFIG_DEFAULTS,
    });
    expect(readFileSync(join(target, 'd/f'), 'utf8')).toBe('content');
    expect(result.diffID).toBe(gz.diffID);
    expect(result.digest).toBe(gz.descriptor.digest);
    expect(result.tarSize).toBe(plain.descriptor.size);
  });

  it('writes nothing to a read-only mount', async () => {
    const target = join(root, 'snapshot');
    mkdirSync(target);
    await expect(applyMounts({ layer: join(root, 'missing.tar'), mounts: [{ type: 'bind', source: target, options: ['ro', 'rbind'] }] })).rejects.toThrow(
      /read-only/,
    );
  });
});
