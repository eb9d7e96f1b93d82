// diffMounts: containerd-style (lower, upper) mounts → the same layer diff() writes for the resolved upperdir and lowerdirs.
import { resolveMounts, type Mount } from '../mounts/containerd-mounts.js';
import type { OverlayModuleDefaults } from '../mounts/module-defaults.js';
import type { DiffOptions, DiffResult } from '../types.js';
import { diff } from './diff.js';

/** What `diffMounts` diffs (two snapshots as containerd mounts) and, as for `diff`, how it writes the layer. */
export interface DiffMountsOptions extends Omit<DiffOptions, 'upper' | 'lowers'> {
  /** The parent snapshot's mounts (its view is what the layer applies on). Default: none (a first layer). */
  lower?: readonly Mount[];
  /** The snapshot's mounts, as the overlay snapshotter returns them (see `resolveMounts` for the accepted shapes). */
  upper: readonly Mount[];
  /** The overlay module defaults for options the mounts leave out. Default: read from `sysfsDir`. */
  moduleDefaults?: OverlayModuleDefaults;
  /** Where the overlay module's parameters are read from. Default: /sys/module/overlay/parameters. */
  sysfsDir?: string;
}

/**
 * Writes the layer that turns the `lower` mounts' view into the `upper` mounts' view, like
 * containerd's `Differ.Compare(ctx, lower, upper)`. The namespace comes from the upper mount
 * (`userxattr` → user); an explicit `xattrNamespace` must agree. With index=on the upper mount's
 * workdir is read too (its index is part of the snapshot). Resolves and rejects as `diff` does;
 * mounts it cannot diff exactly are E_UNSUPPORTED_OVERLAY, malformed ones E_USAGE.
 */
export async function diffMounts(options: DiffMountsOptions): Promise<DiffResult> {
  const { lower = [], upper, moduleDefaults, sysfsDir, ...diffOptions } = options;
  const snapshot = resolveMounts(lower, upper, {
    ...(diffOptions.xattrNamespace === undefined ? {} : { xattrNamespace: diffOptions.xattrNamespace }),
    ...(moduleDefaults === undefined ? {} : { moduleDefaults }),
    ...(sysfsDir === undefined ? {} : { sysfsDir }),
  });
  const workdir = snapshot.workdir === undefined ? {} : { workdir: snapshot.workdir };
  return diff({ ...diffOptions, upper: snapshot.upper, lowers: snapshot.lowers, ...workdir, xattrNamespace: snapshot.xattrNamespace });
}
