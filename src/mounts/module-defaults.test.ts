import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KCONFIG_DEFAULTS, parseModuleBool, readModuleDefaults } from './module-defaults.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'overlaydiff-sysfs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readModuleDefaults', () => {
  it('reads Y/N parameters as sysfs prints them', () => {
    const params: Record<string, string> = {
      redirect_dir: 'Y\n', redirect_always_follow: 'N\n', metacopy: 'Y\n', index: 'Y\n', xino_auto: 'Y\n', nfs_export: 'N\n',
      check_copy_up: 'N\n', redirect_max: '256\n',
    };
    for (const [name, value] of Object.entries(params)) writeFileSync(join(dir, name), value);
    expect(readModuleDefaults(dir)).toEqual({ redirectDir: true, redirectAlwaysFollow: false, metacopy: true, index: true, xinoAuto: true, nfsExport: false });
  });

  it('takes the Kconfig default for a parameter that is not there', () => {
    writeFileSync(join(dir, 'index'), 'Y\n');
    expect(readModuleDefaults(dir)).toEqual({ ...KCONFIG_DEFAULTS, index: true });
    expect(readModuleDefaults(join(dir, 'no-module'))).toEqual(KCONFIG_DEFAULTS);
  });

  it('refuses a value that is not a bool, naming the file', () => {
    writeFileSync(join(dir, 'metacopy'), 'maybe\n');
    expect(() => readModuleDefaults(dir)).toThrow(`${join(dir, 'metacopy')}: expected Y or N, found "maybe"`);
  });

  it('reads this machine\'s parameters when it has the module', () => {
    const defaults = readModuleDefaults();
    expect(Object.keys(defaults).sort()).toEqual(Object.keys(KCONFIG_DEFAULTS).sort());
  });
});

describe('parseModuleBool', () => {
  it.each([['Y', true], ['N', false], ['1', true], ['0', false], [' Y\n', true]])('%j → %s', (text, value) => {
    expect(parseModuleBool('p', text)).toBe(value);
  });
});
