import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listTar } from '../../fixtures/tar-members.js';
import { setXattr } from '../fsio/xattr.js';
import { KCONFIG_DEFAULTS } from '../mounts/module-defaults.js';
import type { Mount } from '../mounts/containerd-mounts.js';
import { diff } from './diff.js';
import { diffMounts } from './diff-mounts.js';

// Plain directories laid out as an upper over two lowers; user.overlay.* plays a userxattr mount's
// attributes (no root needed). Native tests run the same on real mounts.
let root: string;
const dir = (name: string): string => join(root, name);
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-diffmounts-'));
  for (const d of ['L0', 'L1', 'L1/d', 'U', 'U/d', 'W']) mkdirSync(dir(d));
  writeFileSync(dir('L1/d/old'), 'old');
  writeFileSync(dir('L0/top'), 'top');
  writeFileSync(dir('U/d/new'), 'new');
  setXattr(Buffer.from(dir('U/d')), Buffer.from('user.overlay.opaque'), Buffer.from('y'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const upperMount = (extra: string[]): Mount => ({
  type: 'overlay',
  source: 'overlay',
  options: [`workdir=${dir('W')}`, `upperdir=${dir('U')}`, `lowerdir=${dir('L0')}:${dir('L1')}`, ...extra],
});
const lowerMount = (extra: string[]): Mount => ({ type: 'overlay', source: 'overlay', options: [`lowerdir=${dir('L0')}:${dir('L1')}`, ...extra] });

describe('diffMounts', () => {
  it("writes the same bytes as diff() with the resolved paths and the mount's namespace", async () => {
    const viaMounts = await diffMounts({
      lower: [lowerMount(['userxattr'])],
      upper: [upperMount(['userxattr'])],
      output: dir('m.tar'),
      moduleDefaults: KCONFIG_DEFAULTS,
    });
    const viaPaths = await diff({ upper: dir('U'), lowers: [dir('L0'), dir('L1')], xattrNamespace: 'user', output: dir('p.tar') });
    expect(readFileSync(dir('m.tar')).equals(readFileSync(dir('p.tar')))).toBe(true);
    expect(viaMounts).toEqual(viaPaths);
    expect(listTar(dir('m.tar')).map((m) => m.name)).toEqual(['d/', 'd/.wh..wh..opq', 'd/new']);
  });

  it('takes the trusted namespace from a mount without userxattr (user.overlay.opaque is then data)', async () => {
    await diffMounts({
      lower: [lowerMount([])],
      upper: [upperMount([])],
      output: dir('t.tar'),
      moduleDefaults: KCONFIG_DEFAULTS,
    });
    expect(listTar(dir('t.tar')).map((m) => m.name)).toEqual(['d/', 'd/new']);
  });

  it('rejects a contradicting xattrNamespace before writing anything', async () => {
    await expect(
      diffMounts({
        lower: [lowerMount(['userxattr'])],
        upper: [upperMount(['userxattr'])],
        output: dir('x.tar'),
        xattrNamespace: 'trusted',
        moduleDefaults: KCONFIG_DEFAULTS,
      }),
    ).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('contradicts the upper mount') });
    await expect(diffMounts({ upper: [upperMount(['userxattr'])], output: dir('y.tar'), moduleDefaults: KCONFIG_DEFAULTS })).rejects.toMatchObject({
      code: 'E_USAGE',
    });
    expect(() => readFileSync(dir('x.tar'))).toThrow();
  });

  it('diffs a first layer given as a bind mount', async () => {
    const d = await diffMounts({ upper: [{ type: 'bind', source: dir('L0'), options: ['rw', 'rbind'] }], output: dir('f.tar') });
    expect(listTar(dir('f.tar')).map((m) => m.name)).toEqual(['top']);
    expect(d.stats.entries).toBe(1);
  });
});
