// Reads the overlay module's feature defaults from sysfs: the values a mount gets for every option it leaves out.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OverlaydiffError, errnoCode, ioError } from '../errors.js';

/**
 * The `overlay` module parameters that decide a mount's features when its options are silent
 * (fs/overlayfs/params.c: `ovl_redirect_mode_def`, `ovl_xino_def`, `ovl_index_def`, ...). They also
 * decide what mountinfo shows: the kernel prints an option only when it differs from its default.
 */
export interface OverlayModuleDefaults {
  /** `redirect_dir`: redirect_dir=on by default. */
  readonly redirectDir: boolean;
  /** `redirect_always_follow`: without redirect_dir=on, follow redirects anyway (redirect_dir=follow). */
  readonly redirectAlwaysFollow: boolean;
  /** `metacopy`: metacopy=on by default. */
  readonly metacopy: boolean;
  /** `index`: index=on by default. */
  readonly index: boolean;
  /** `xino_auto`: xino=auto by default (else xino=off). */
  readonly xinoAuto: boolean;
  /** `nfs_export`: nfs_export=on by default. */
  readonly nfsExport: boolean;
}

export const OVERLAY_PARAMETERS_DIR = '/sys/module/overlay/parameters';

/**
 * The Kconfig defaults of fs/overlayfs/Kconfig (every feature off, `OVERLAY_FS_REDIRECT_ALWAYS_FOLLOW=y`):
 * what a kernel built with the defaults uses, and what a parameter absent from sysfs is taken to be.
 */
export const KCONFIG_DEFAULTS: OverlayModuleDefaults = Object.freeze({
  redirectDir: false,
  redirectAlwaysFollow: true,
  metacopy: false,
  index: false,
  xinoAuto: false,
  nfsExport: false,
});

const PARAMETER_FILES: Readonly<Record<keyof OverlayModuleDefaults, string>> = {
  redirectDir: 'redirect_dir',
  redirectAlwaysFollow: 'redirect_always_follow',
  metacopy: 'metacopy',
  index: 'index',
  xinoAuto: 'xino_auto',
  nfsExport: 'nfs_export',
};

/** A sysfs bool parameter: the kernel prints `Y` or `N` (param_get_bool); `1`/`0` are accepted too. */
export function parseModuleBool(name: string, text: string): boolean {
  const value = text.trim();
  if (value === 'Y' || value === 'y' || value === '1') return true;
  if (value === 'N' || value === 'n' || value === '0') return false;
  throw new OverlaydiffError('E_IO', `${name}: expected Y or N, found ${JSON.stringify(value)}`, { path: name });
}

/**
 * Reads the module defaults from `dir` (injectable for tests). A parameter file that does not exist
 * (module not loaded yet, or an older kernel without it) takes its Kconfig default.
 */
export function readModuleDefaults(dir: string = OVERLAY_PARAMETERS_DIR): OverlayModuleDefaults {
  const defaults: Record<keyof OverlayModuleDefaults, boolean> = { ...KCONFIG_DEFAULTS };
  for (const key of Object.keys(PARAMETER_FILES) as (keyof OverlayModuleDefaults)[]) {
    const file = join(dir, PARAMETER_FILES[key]);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      throw ioError('read the overlay module parameter', file, err);
    }
    defaults[key] = parseModuleBool(file, text);
  }
  return defaults;
}
