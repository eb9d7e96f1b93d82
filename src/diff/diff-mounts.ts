// diffMounts: containerd-style (lower, upper) mounts → the same layer diff() writes for the resolved upperdir and lowerdirs.
import { resolveMounts, type Mount } from '../mounts/containerd-mounts.js';
import type { OverlayModuleDefaults } from '../mounts/module-defaults.js';
import type { DiffOptions, LayerDescriptor } from '../types.js';
import { diff } from './diff.js';

// The mount-input API travels with diffMounts, so the package index re-exports this one module.
export { resolveMounts, validateMounts, type Mount, type ResolvedSnapshot, type ResolveMountsOptions } from '../mounts/containerd-mounts.js';
export { readModuleDefaults, KCONFIG_DEFAULTS, type OverlayModuleDefaults } from '../mounts/module-defaults.js';
export { snapshotAtMountpoint, type MountpointOptions } from '../mounts/mountinfo.js';
export { splitMountData } from '../mounts/overlay-escapes.js';
export {
  parseOverlayOptions,
  type OverlayFeatures,
  type OverlaySnapshot,
  type RedirectDirMode,
  type UuidMode,
  type VerityMode,
  type XinoMode,
} from '../mounts/overlay-options.js';

export interface DiffMountsOptions extends Omit<DiffOptions, 'upper' | 'lowers'> {
  /** The overlay module defaults for options the mounts leave out. Default: read from `sysfsDir`. */
  moduleDefaults?: OverlayModuleDefaults;
  /** Default: /sys/module/overlay/parameters. */
  sysfsDir?: string;
}

/**
 * Writes the layer that turns the `lower` mounts' view into the `upper` mounts' view, like
 * containerd's `Differ.Compare(ctx, lower, upper)`: `lower` is the parent snapshot's view (none for a
 * first layer), `upper` the snapshot's mounts as the overlay snapshotter returns them (see
 * `resolveMounts` for the accepted shapes). The namespace comes from the upper mount (`userxattr` →
 * user); an explicit `xattrNamespace` must agree. With index=on the upper mount's workdir is read
 * too (its index is part of the snapshot).
 */
export async function diffMounts(lower: readonly Mount[], upper: readonly Mount[], options: DiffMountsOptions): Promise<LayerDescriptor> {
  const { moduleDefaults, sysfsDir, ...diffOptions } = options;
  const snapshot = resolveMounts(lower, upper, {
    ...(diffOptions.xattrNamespace === undefined ? {} : { xattrNamespace: diffOptions.xattrNamespace }),
    ...(moduleDefaults === undefined ? {} : { moduleDefaults }),
    ...(sysfsDir === undefined ? {} : { sysfsDir }),
  });
  const workdir = snapshot.workdir === undefined ? {} : { workdir: snapshot.workdir };
  return diff({ ...diffOptions, upper: snapshot.upper, lowers: snapshot.lowers, ...workdir, xattrNamespace: snapshot.xattrNamespace });
}
