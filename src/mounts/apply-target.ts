// Resolves the mounts containerd passes to Applier.Apply into the directory a layer is applied to and its format.
import { resolve } from 'node:path';
import { OverlaydiffError, usageError } from '../errors.js';
import type { XattrNamespace } from '../types.js';
import { validateMounts } from './containerd-mounts.js';
import { readModuleDefaults, type OverlayModuleDefaults } from './module-defaults.js';
import { splitMountData } from './overlay-escapes.js';
import { parseOverlayOptions } from './overlay-options.js';

/** Where and how a layer is applied: plain into a bind mount's source, overlay format into an upperdir. */
export interface ApplyTarget {
  readonly dir: string;
  readonly format: 'plain' | 'overlay';
  readonly xattrNamespace: XattrNamespace;
}

export interface ApplyTargetOptions {
  /** Default: read from `sysfsDir` (only for an overlay mount). */
  readonly moduleDefaults?: OverlayModuleDefaults;
  /** Default: /sys/module/overlay/parameters. */
  readonly sysfsDir?: string;
}

// containerd handles these itself (core/mount/mount_linux.go); they are not overlay data.
const MOUNT_FLAGS = new Set(['shared', 'rshared', 'private', 'rprivate', 'slave', 'rslave', 'unbindable', 'runbindable']);

/**
 * The target of an Apply, as the overlay snapshotter's Prepare returns it: `bind` (a snapshot
 * without parent; options `rw,rbind`) → its source, plain format; `overlay` with `upperdir=U` →
 * U in overlay format (whiteout devices, opaque xattrs) in the mount's namespace (`userxattr` →
 * user), which is what the merged view of U over its lowerdirs must show. Read-only mounts,
 * overlays without upperdir, idmapped mounts and other types throw E_UNSUPPORTED_OVERLAY naming the
 * mount; malformed values throw E_USAGE.
 */
export function resolveApplyTarget(mounts: readonly unknown[], options: ApplyTargetOptions = {}): ApplyTarget {
  const valid = validateMounts(mounts, 'mounts');
  if (valid.length !== 1) throw usageError(`mounts: expected exactly one mount (the snapshot to apply to), got ${valid.length}`);
  const mount = valid[0]!;
  const unsupported = (why: string): OverlaydiffError =>
    new OverlaydiffError('E_UNSUPPORTED_OVERLAY', `mounts[0] (${mount.type} ${mount.source} ${mount.options.join(',')}): ${why}`);
  if (mount.target !== undefined && mount.target !== '/') throw unsupported('a mount on a subdirectory cannot be applied to');
  if (mount.options.some((o) => o.startsWith('uidmap=') || o.startsWith('gidmap='))) {
    throw unsupported("idmapped snapshots are not supported (the layer's owners would need mapping)");
  }
  if (mount.options.includes('ro')) throw unsupported('the mount is read-only');
  const isBind = mount.options.includes('bind') || mount.options.includes('rbind');
  if (mount.type === 'bind' || (mount.type === 'none' && isBind)) {
    if (mount.source === '') throw usageError('mounts[0].source: a bind mount needs the directory to bind');
    return { dir: resolve(mount.source), format: 'plain', xattrNamespace: 'trusted' };
  }
  if (mount.type !== 'overlay') throw unsupported('unsupported mount type (supported: overlay with upperdir, bind)');
  const data = mount.options.filter((o) => !MOUNT_FLAGS.has(o)).flatMap((o) => splitMountData(o));
  const snapshot = parseOverlayOptions(data, options.moduleDefaults ?? readModuleDefaults(options.sysfsDir));
  if (snapshot.upperdir === undefined) throw unsupported('an overlay without upperdir is read-only');
  return { dir: resolve(snapshot.upperdir), format: 'overlay', xattrNamespace: snapshot.xattrNamespace };
}
