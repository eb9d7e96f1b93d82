import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KCONFIG_DEFAULTS, OVERLAY_PARAMETERS_DIR, parseModuleBool, readModuleDefaults, type OverlayModuleDefaults } from './module-defaults.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'overlaydiff-sysfs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readModuleDefaults', () => {
  it('reads Y/N parameters as sysfs prints them', () => {
    const params: Record<string, string> = {
      redirect_dir: 'Y\n',
      redirect_always_follow: 'N\n',
      metacopy: 'Y\n',
      index: 'Y\n',
      xino_auto: 'Y\n',
      nfs_export: 'N\n',
      check_copy_up: 'N\n',
      redirect_max: '256\n',
    };
    for (const [name, value] of Object.entries(params)) writeFileSync(join(dir, name), value);
    expect(readModuleDefaults(dir)).toEqual({ redirectDir: true, redirectAlwaysFollow: false, metacopy: true, index: true, xinoAuto: true, nfsExport: false });
  });

  it('takes the Kconfig default for a parameter that is not there', () => {
    writeFileSync(join(dir, 'index'), 'Y\n');
    expect(readModuleDefaults(dir)).toEqual({ ...KCONFIG_DEFAULTS, index: true });
    // fs/overlayfs/Kconfig: every feature off, OVERLAY_FS_REDIRECT_ALWAYS_FOLLOW=y.
    const kconfig = { redirectDir: false, redirectAlwaysFollow: true, metacopy: false, index: false, xinoAuto: false, nfsExport: false };
    expect(readModuleDefaults(join(dir, 'no-module'))).toEqual(kconfig);
  });

  it('refuses a value that is not a bool, naming the file', () => {
    writeFileSync(join(dir, 'metacopy'), 'maybe\n');
    expect(() => readModuleDefaults(dir)).toThrow(`${join(dir, 'metacopy')}: expected Y or N, found "maybe"`);
  });

  // The sysfs file of each option, written out here independently of the module's own table.
  const SYSFS_NAMES = {
    redirectDir: 'redirect_dir',
    redirectAlwaysFollow: 'redirect_always_follow',
    metacopy: 'metacopy',
    index: 'index',
    xinoAuto: 'xino_auto',
    nfsExport: 'nfs_export',
  } as const satisfies Record<keyof OverlayModuleDefaults, string>;
  const KEYS = Object.keys(SYSFS_NAMES) as (keyof OverlayModuleDefaults)[];

  it.each(KEYS)('takes %s from its own sysfs file and from no other', (key) => {
    for (const other of KEYS) writeFileSync(join(dir, SYSFS_NAMES[other]), KCONFIG_DEFAULTS[other] ? 'Y\n' : 'N\n');
    writeFileSync(join(dir, SYSFS_NAMES[key]), KCONFIG_DEFAULTS[key] ? 'N\n' : 'Y\n');
    expect(readModuleDefaults(dir)).toEqual({ ...KCONFIG_DEFAULTS, [key]: !KCONFIG_DEFAULTS[key] });
  });

  // Without the module loaded the directory is missing and every option takes its Kconfig default: no skip either way.
  it('reads /sys/module/overlay/parameters by default, as this kernel prints them', () => {
    const expected = Object.fromEntries(
      KEYS.map((key) => {
        const file = join(OVERLAY_PARAMETERS_DIR, SYSFS_NAMES[key]);
        return [key, existsSync(file) ? readFileSync(file, 'utf8') === 'Y\n' : KCONFIG_DEFAULTS[key]];
      }),
    );
    expect(readModuleDefaults()).toEqual(expected);
  });
});

describe('parseModuleBool', () => {
  it.each([
    ['Y', true],
    ['N', false],
    ['1', true],
    ['0', false],
    [' Y\n', true],
  ])('%j → %s', (text, value) => {
    expect(parseModuleBool('p', text)).toBe(value);
  });
});
