// Parses overlayfs mount options the way the kernel does (fs/overlayfs/params.c) into a snapshot description.
import { OverlaydiffError } from '../errors.js';
import type { XattrNamespace } from '../types.js';
import type { OverlayModuleDefaults } from './module-defaults.js';
import { splitLowerdir, unescapeOverlayPath } from './overlay-escapes.js';

/** Effective redirect_dir mode. The option value `off` is folded by the kernel into `follow` or `nofollow`. */
export type RedirectDirMode = 'on' | 'follow' | 'nofollow';
export type XinoMode = 'off' | 'auto' | 'on';
export type UuidMode = 'off' | 'null' | 'auto' | 'on';
export type VerityMode = 'off' | 'on' | 'require';

/** The features a mount ends up with once options, module defaults and the kernel's dependency rules are applied. */
export interface OverlayFeatures {
  readonly redirectDir: RedirectDirMode;
  readonly metacopy: boolean;
  readonly index: boolean;
  readonly xino: XinoMode;
  readonly nfsExport: boolean;
  readonly uuid: UuidMode;
  readonly verity: VerityMode;
  /** `volatile` or `fsync=volatile`: no sync to the upper fs; after a crash the upperdir must be thrown away. */
  readonly volatile: boolean;
  readonly userxattr: boolean;
  readonly defaultPermissions: boolean;
}

/** What an overlay mount is made of: its layers (unescaped paths), namespace and features. */
export interface OverlaySnapshot {
  readonly upperdir?: string;
  readonly workdir?: string;
  /** The layers of the merged namespace, topmost first (overlayfs lowerdir= order). Never empty. */
  readonly lowers: readonly string[];
  /** Data-only layers (after `::`, or `datadir+=`): they hold metacopy data but are not part of the merged view. */
  readonly dataLowers: readonly string[];
  /** `user` for a mount with `userxattr`, else `trusted`. */
  readonly xattrNamespace: XattrNamespace;
  readonly features: OverlayFeatures;
  /** No upperdir, or mounted `ro`. */
  readonly readonly: boolean;
}

// Generic options the VFS, mount(8), or a security module consume before overlayfs sees them; they do
// not change what the layers are. `ro`/`rw` are read for `readonly`.
const GENERIC_FLAGS = new Set([
  'ro',
  'rw',
  'sync',
  'async',
  'dirsync',
  'lazytime',
  'nolazytime',
  'mand',
  'nomand',
  'silent',
  'loud',
  'defaults',
  'suid',
  'nosuid',
  'dev',
  'nodev',
  'exec',
  'noexec',
  'atime',
  'noatime',
  'diratime',
  'nodiratime',
  'relatime',
  'norelatime',
  'strictatime',
  'nostrictatime',
  'seclabel',
]);
const LSM_KEYS = /^(context|fscontext|defcontext|rootcontext|smackfs(def|floor|hat|root|transmute))$/;

interface Settings {
  upperdir?: string;
  workdir?: string;
  lowers: string[];
  dataLowers: string[];
  lowerdirGiven: boolean;
  redirectDir: RedirectDirMode;
  metacopy: boolean;
  index: boolean;
  xino: XinoMode;
  nfsExport: boolean;
  uuid: UuidMode;
  verity: VerityMode;
  volatile: boolean;
  userxattr: boolean;
  defaultPermissions: boolean;
  ro: boolean;
  set: { redirect: boolean; metacopy: boolean; index: boolean; nfsExport: boolean };
}

/**
 * Parses overlay mount options, one option per element (`key` or `key=value`, as the kernel receives
 * them from fsconfig or after `splitMountData`), in order: a later option overrides an earlier one,
 * `lowerdir=` replaces every layer given before it. Options left out take `moduleDefaults`; the
 * kernel's dependency rules (`ovl_fs_params_verify`) are then applied, so `features` is what the
 * mount really has. Generic mount flags (`ro`, `nosuid`, ...) and LSM options are accepted and do not
 * matter; unknown options, bad values and combinations the kernel refuses throw E_USAGE.
 */
export function parseOverlayOptions(options: readonly string[], moduleDefaults: OverlayModuleDefaults): OverlaySnapshot {
  const s: Settings = {
    lowers: [],
    dataLowers: [],
    lowerdirGiven: false,
    redirectDir: moduleDefaults.redirectDir ? 'on' : moduleDefaults.redirectAlwaysFollow ? 'follow' : 'nofollow',
    metacopy: moduleDefaults.metacopy,
    index: moduleDefaults.index,
    xino: moduleDefaults.xinoAuto ? 'auto' : 'off',
    nfsExport: moduleDefaults.nfsExport,
    uuid: 'auto',
    verity: 'off',
    volatile: false,
    userxattr: false,
    defaultPermissions: false,
    ro: false,
    set: { redirect: false, metacopy: false, index: false, nfsExport: false },
  };
  for (const option of options) applyOption(s, option, moduleDefaults);
  if (s.lowers.length === 0) {
    throw bad(s.dataLowers.length > 0 ? 'overlay options have only data-only layers: a regular lowerdir is required' : 'overlay options have no lowerdir');
  }
  if (s.upperdir !== undefined && s.workdir === undefined) throw bad(`overlay options have upperdir=${s.upperdir} but no workdir`);
  if (s.upperdir === undefined && s.lowers.length + s.dataLowers.length < 2) {
    throw bad('an overlay without upperdir needs at least two lowerdirs');
  }
  verify(s);
  return {
    ...(s.upperdir === undefined ? {} : { upperdir: s.upperdir }),
    ...(s.upperdir === undefined || s.workdir === undefined ? {} : { workdir: s.workdir }),
    lowers: s.lowers,
    dataLowers: s.dataLowers,
    xattrNamespace: s.userxattr ? 'user' : 'trusted',
    features: {
      redirectDir: s.redirectDir,
      metacopy: s.metacopy,
      index: s.index,
      xino: s.xino,
      nfsExport: s.nfsExport,
      uuid: s.uuid,
      verity: s.verity,
      volatile: s.volatile,
      userxattr: s.userxattr,
      defaultPermissions: s.defaultPermissions,
    },
    readonly: s.upperdir === undefined || s.ro,
  };
}

function applyOption(s: Settings, option: string, defaults: OverlayModuleDefaults): void {
  const eq = option.indexOf('=');
  const key = eq < 0 ? option : option.slice(0, eq);
  const value = eq < 0 ? undefined : option.slice(eq + 1);
  switch (key) {
    case 'lowerdir': {
      const split = splitLowerdir(value ?? '');
      s.lowers = split.lowers;
      s.dataLowers = split.dataLowers;
      s.lowerdirGiven = value !== undefined && value !== '';
      return;
    }
    case 'lowerdir+':
    case 'datadir+': {
      // Appended layers are taken verbatim: the kernel does not unescape them (ovl_mount_dir_noesc).
      const path = required(key, value);
      if (s.lowerdirGiven) throw bad(`${key}=${path}: lowerdir+ and datadir+ cannot follow lowerdir=`);
      if (key === 'lowerdir+' && s.dataLowers.length > 0) throw bad(`${key}=${path}: regular layers cannot follow data-only layers`);
      (key === 'lowerdir+' ? s.lowers : s.dataLowers).push(path);
      return;
    }
    case 'upperdir':
      s.upperdir = unescapeOverlayPath(required(key, value));
      return;
    case 'workdir':
      s.workdir = unescapeOverlayPath(required(key, value));
      return;
    case 'redirect_dir': {
      const mode = oneOf(key, value, ['on', 'follow', 'nofollow', 'off'] as const);
      s.redirectDir = mode !== 'off' ? mode : defaults.redirectAlwaysFollow ? 'follow' : 'nofollow';
      s.set.redirect = true;
      return;
    }
    case 'index':
      s.index = onOff(key, value);
      s.set.index = true;
      return;
    case 'metacopy':
      s.metacopy = onOff(key, value);
      s.set.metacopy = true;
      return;
    case 'nfs_export':
      s.nfsExport = onOff(key, value);
      s.set.nfsExport = true;
      return;
    case 'xino':
      s.xino = oneOf(key, value, ['off', 'auto', 'on'] as const);
      return;
    case 'uuid':
      s.uuid = oneOf(key, value, ['off', 'null', 'auto', 'on'] as const);
      return;
    case 'verity':
      s.verity = oneOf(key, value, ['off', 'on', 'require'] as const);
      return;
    case 'fsync':
      s.volatile = oneOf(key, value, ['volatile', 'auto', 'strict'] as const) === 'volatile';
      return;
    case 'volatile':
      s.volatile = flag(key, value);
      return;
    case 'userxattr':
      s.userxattr = flag(key, value);
      return;
    case 'default_permissions':
      s.defaultPermissions = flag(key, value);
      return;
    case 'override_creds':
    case 'nooverride_creds':
      flag(key, value);
      return;
    default:
      if (value === undefined && GENERIC_FLAGS.has(key)) {
        if (key === 'ro' || key === 'rw') s.ro = key === 'ro';
        return;
      }
      if (value !== undefined && LSM_KEYS.test(key)) return;
      throw bad(`unknown overlay mount option ${JSON.stringify(option)}`);
  }
}

// The kernel's dependency rules between features, in its order (fs/overlayfs/params.c ovl_fs_params_verify).
function verify(s: Settings): void {
  if (s.upperdir === undefined) {
    s.index = false;
    s.volatile = false;
    if (s.uuid === 'on') s.uuid = 'null';
    // "redirect_dir=on is only used for upper": without one, follow and on are the same.
    if (s.redirectDir === 'follow') s.redirectDir = 'on';
  }
  if (s.metacopy && s.redirectDir !== 'on') {
    if (s.set.metacopy && s.set.redirect) throw bad(`conflicting options: metacopy=on,redirect_dir=${s.redirectDir} (the kernel refuses this mount)`);
    if (s.set.redirect) s.metacopy = false;
    else s.redirectDir = 'on';
  }
  if (s.nfsExport && !s.index) {
    if (s.upperdir === undefined && s.redirectDir !== 'nofollow') s.nfsExport = false;
    else if (s.set.nfsExport && s.set.index) throw bad('conflicting options: nfs_export=on,index=off (the kernel refuses this mount)');
    else if (s.set.index) s.nfsExport = false;
    else s.index = true;
  }
  if (s.nfsExport && s.metacopy) {
    if (s.set.nfsExport && s.set.metacopy) throw bad('conflicting options: nfs_export=on,metacopy=on (the kernel refuses this mount)');
    if (s.set.metacopy || s.verity !== 'off') s.nfsExport = false;
    else s.metacopy = false;
  }
  if (s.userxattr) {
    if (s.set.redirect && s.redirectDir !== 'nofollow')
      throw bad(`conflicting options: userxattr,redirect_dir=${s.redirectDir} (the kernel refuses this mount)`);
    if (s.metacopy && s.set.metacopy) throw bad('conflicting options: userxattr,metacopy=on (the kernel refuses this mount)');
    // The kernel silently turns the defaults off: a userxattr mount never uses redirect or metacopy.
    s.redirectDir = 'nofollow';
    s.metacopy = false;
  }
}

function required(key: string, value: string | undefined): string {
  if (value === undefined || value === '') throw bad(`overlay option ${key} needs a path`);
  return value;
}

function flag(key: string, value: string | undefined): true {
  if (value !== undefined) throw bad(`overlay option ${key} takes no value, got ${JSON.stringify(`${key}=${value}`)}`);
  return true;
}

function onOff(key: string, value: string | undefined): boolean {
  return oneOf(key, value, ['on', 'off'] as const) === 'on';
}

function oneOf<T extends string>(key: string, value: string | undefined, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw bad(`overlay option ${key}=${value ?? ''}: use ${allowed.join(', ')}`);
  return found;
}

function bad(message: string): OverlaydiffError {
  return new OverlaydiffError('E_USAGE', message);
}
