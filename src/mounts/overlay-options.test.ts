import { describe, expect, it } from 'vitest';
import { KCONFIG_DEFAULTS, type OverlayModuleDefaults } from './module-defaults.js';
import { parseOverlayOptions } from './overlay-options.js';

// This machine's module parameters (redirect_always_follow=Y, everything else N) are the Kconfig defaults.
const DEFAULTS = KCONFIG_DEFAULTS;
const parse = (options: string[], defaults: OverlayModuleDefaults = DEFAULTS) => parseOverlayOptions(options, defaults);
const RW = ['upperdir=/u', 'workdir=/w'];

describe('parseOverlayOptions: layers', () => {
  it('reads upperdir, workdir and lowerdirs (topmost first), unescaping them', () => {
    const s = parse(['lowerdir=/l\\:0:/l\\,1', 'upperdir=/up\\,per', 'workdir=/w\\:k']);
    expect(s).toMatchObject({ upperdir: '/up,per', workdir: '/w:k', lowers: ['/l:0', '/l,1'], dataLowers: [], readonly: false });
  });

  it('appends lowerdir+= and datadir+= layers in order, verbatim (the kernel does not unescape them)', () => {
    const s = parse(['lowerdir+=/l0', 'lowerdir+=/l\\:1', 'datadir+=/d0', 'datadir+=/d,1', ...RW]);
    expect(s.lowers).toEqual(['/l0', '/l\\:1']);
    expect(s.dataLowers).toEqual(['/d0', '/d,1']);
  });

  it('lets lowerdir= replace every layer given before it', () => {
    expect(parse(['lowerdir=/a:/b', 'lowerdir=/c', ...RW]).lowers).toEqual(['/c']);
    expect(parse(['lowerdir+=/x', 'datadir+=/d', 'lowerdir=/c', ...RW])).toMatchObject({ lowers: ['/c'], dataLowers: [] });
  });

  it.each([
    [['lowerdir=/a', 'lowerdir+=/b', ...RW], /cannot follow lowerdir=/],
    [['lowerdir=/a', 'datadir+=/b', ...RW], /cannot follow lowerdir=/],
    [['lowerdir+=/a', 'datadir+=/d', 'lowerdir+=/b', ...RW], /regular layers cannot follow data-only/],
    [['lowerdir+=', ...RW], /needs a path/],
    [['upperdir=/u', 'workdir=/w'], /no lowerdir/],
    [['datadir+=/d', ...RW], /only data-only layers/],
    [['lowerdir=/a', 'upperdir=/u'], /no workdir/],
    [['lowerdir=/a'], /at least two lowerdirs/],
    [['lowerdir='], /no lowerdir/],
  ])('refuses what the kernel refuses: %j', (options, message) => {
    expect(() => parse(options)).toThrow(message);
  });

  it('treats an overlay without upperdir as read-only, and `ro` too', () => {
    expect(parse(['lowerdir=/a:/b'])).toMatchObject({ readonly: true, lowers: ['/a', '/b'] });
    expect(parse(['lowerdir=/a::/d'])).toMatchObject({ readonly: true, lowers: ['/a'], dataLowers: ['/d'] });
    expect(parse(['lowerdir=/a', ...RW, 'ro']).readonly).toBe(true);
    expect(parse(['lowerdir=/a', ...RW, 'ro', 'rw']).readonly).toBe(false);
  });

  it('drops workdir from a mount without upperdir, as the kernel does', () => {
    expect(parse(['lowerdir=/a:/b', 'workdir=/w']).workdir).toBeUndefined();
  });
});

describe('parseOverlayOptions: namespace and features', () => {
  it('uses the trusted namespace unless userxattr is given', () => {
    expect(parse(['lowerdir=/a', ...RW]).xattrNamespace).toBe('trusted');
    expect(parse(['lowerdir=/a', ...RW, 'userxattr']).xattrNamespace).toBe('user');
  });

  it('takes module defaults for options left out', () => {
    expect(parse(['lowerdir=/a', ...RW]).features).toEqual({
      redirectDir: 'follow',
      metacopy: false,
      index: false,
      xino: 'off',
      nfsExport: false,
      uuid: 'auto',
      verity: 'off',
      volatile: false,
      userxattr: false,
      defaultPermissions: false,
    });
    const on: OverlayModuleDefaults = { redirectDir: true, redirectAlwaysFollow: true, metacopy: true, index: true, xinoAuto: true, nfsExport: false };
    expect(parse(['lowerdir=/a', ...RW], on).features).toMatchObject({ redirectDir: 'on', metacopy: true, index: true, xino: 'auto' });
    const noFollow = { ...DEFAULTS, redirectAlwaysFollow: false };
    expect(parse(['lowerdir=/a', ...RW], noFollow).features.redirectDir).toBe('nofollow');
  });

  it('reads every feature option, a later one overriding an earlier one', () => {
    const s = parse([
      'lowerdir=/a',
      ...RW,
      'index=on',
      'index=off',
      'redirect_dir=on',
      'metacopy=on',
      'xino=auto',
      'uuid=null',
      'volatile',
      'default_permissions',
    ]);
    expect(s.features).toMatchObject({ index: false, redirectDir: 'on', metacopy: true, xino: 'auto', uuid: 'null', volatile: true, defaultPermissions: true });
  });

  it('folds redirect_dir=off into follow or nofollow as the kernel does', () => {
    expect(parse(['lowerdir=/a', ...RW, 'redirect_dir=off']).features.redirectDir).toBe('follow');
    expect(parse(['lowerdir=/a', ...RW, 'redirect_dir=off'], { ...DEFAULTS, redirectAlwaysFollow: false }).features.redirectDir).toBe('nofollow');
  });

  it('reads fsync=volatile (how 6.x kernels show volatile in mountinfo)', () => {
    expect(parse(['lowerdir=/a', ...RW, 'fsync=volatile']).features.volatile).toBe(true);
    expect(parse(['lowerdir=/a', ...RW, 'volatile', 'fsync=strict']).features.volatile).toBe(false);
  });

  it('applies the kernel dependency rules', () => {
    // metacopy=on turns redirect_dir on unless redirect_dir was given.
    expect(parse(['lowerdir=/a', ...RW, 'metacopy=on']).features).toMatchObject({ metacopy: true, redirectDir: 'on' });
    // an explicit redirect_dir turns a default metacopy off.
    expect(parse(['lowerdir=/a', ...RW, 'redirect_dir=nofollow'], { ...DEFAULTS, metacopy: true }).features.metacopy).toBe(false);
    // nfs_export=on turns index on.
    expect(parse(['lowerdir=/a', ...RW, 'nfs_export=on']).features).toMatchObject({ nfsExport: true, index: true });
    // without upperdir: no index, no volatile, follow is on.
    expect(parse(['lowerdir=/a:/b', 'index=on', 'volatile']).features).toMatchObject({ index: false, volatile: false, redirectDir: 'on' });
  });

  it('silently turns redirect_dir and metacopy defaults off with userxattr', () => {
    const on: OverlayModuleDefaults = { ...DEFAULTS, redirectDir: true, metacopy: true };
    expect(parse(['lowerdir=/a', ...RW, 'userxattr'], on).features).toMatchObject({ redirectDir: 'nofollow', metacopy: false, userxattr: true });
  });

  it.each([
    [['userxattr', 'redirect_dir=on'], /userxattr,redirect_dir=on/],
    [['userxattr', 'redirect_dir=follow'], /userxattr,redirect_dir=follow/],
    [['userxattr', 'metacopy=on'], /userxattr,metacopy=on/],
    [['metacopy=on', 'redirect_dir=off'], /metacopy=on,redirect_dir=follow/],
    [['nfs_export=on', 'index=off'], /nfs_export=on,index=off/],
    [['nfs_export=on', 'metacopy=on'], /nfs_export=on,metacopy=on/],
  ])('refuses the conflicting options %j', (extra, message) => {
    expect(() => parse(['lowerdir=/a', ...RW, ...extra])).toThrow(message);
  });

  it('accepts userxattr with redirect_dir=nofollow', () => {
    expect(parse(['lowerdir=/a', ...RW, 'userxattr', 'redirect_dir=nofollow']).features.redirectDir).toBe('nofollow');
  });
});

describe('parseOverlayOptions: other options', () => {
  it('ignores generic mount flags and security-module options', () => {
    const s = parse(['lowerdir=/a', ...RW, 'rw', 'nosuid', 'nodev', 'relatime', 'context="system_u:object_r:container_file_t:s0:c1,c2"', 'seclabel']);
    expect(s.lowers).toEqual(['/a']);
  });
  it.each([
    ['frobnicate', /unknown overlay mount option "frobnicate"/],
    ['uidmap=0:1000:1', /unknown overlay mount option/],
    ['index=yes', /index=yes: use on, off/],
    ['xino', /xino=: use off, auto, on/],
    ['userxattr=1', /takes no value/],
    ['redirect_dir=always', /use on, follow, nofollow, off/],
  ])('refuses %s with an E_USAGE naming it', (option, message) => {
    expect(() => parse(['lowerdir=/a', ...RW, option])).toThrow(message);
    try {
      parse(['lowerdir=/a', ...RW, option]);
    } catch (err) {
      expect(err).toMatchObject({ code: 'E_USAGE' });
    }
  });
});
