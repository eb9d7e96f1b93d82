import { describe, expect, it } from 'vitest';
import { KCONFIG_DEFAULTS } from './module-defaults.js';
import { resolveApplyTarget } from './apply-target.js';

const opts = { moduleDefaults: KCONFIG_DEFAULTS };

describe('resolveApplyTarget', () => {
  it('applies plain into a bind mount source (a snapshot without parent)', () => {
    expect(resolveApplyTarget([{ type: 'bind', source: '/s/1/fs', options: ['rw', 'rbind'] }], opts)).toEqual({
      dir: '/s/1/fs',
      format: 'plain',
      xattrNamespace: 'trusted',
    });
  });

  it('applies in overlay format into the upperdir, in the namespace of the mount', () => {
    const overlay = (extra: string[]) => [
      { type: 'overlay', source: 'overlay', options: ['index=off', 'workdir=/s/3/work', 'upperdir=/s/3/fs', 'lowerdir=/s/2/fs:/s/1/fs', ...extra] },
    ];
    expect(resolveApplyTarget(overlay([]), opts)).toEqual({ dir: '/s/3/fs', format: 'overlay', xattrNamespace: 'trusted' });
    expect(resolveApplyTarget(overlay(['userxattr']), opts)).toEqual({ dir: '/s/3/fs', format: 'overlay', xattrNamespace: 'user' });
  });

  it('refuses read-only, upperless, idmapped and foreign mounts, naming the mount', () => {
    expect(() => resolveApplyTarget([{ type: 'bind', source: '/s/1/fs', options: ['ro', 'rbind'] }], opts)).toThrow(
      /mounts\[0\] \(bind \/s\/1\/fs ro,rbind\): the mount is read-only/,
    );
    expect(() => resolveApplyTarget([{ type: 'overlay', source: 'overlay', options: ['lowerdir=/a:/b'] }], opts)).toThrow(
      /an overlay without upperdir is read-only/,
    );
    expect(() => resolveApplyTarget([{ type: 'bind', source: '/s', options: ['rbind', 'uidmap=0:1000:1'] }], opts)).toThrow(/idmapped/);
    expect(() => resolveApplyTarget([{ type: 'erofs', source: '/x.img', options: [] }], opts)).toThrow(/unsupported mount type/);
    expect(() => resolveApplyTarget([], opts)).toThrow(/expected exactly one mount/);
  });
});
