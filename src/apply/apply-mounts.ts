// applyMounts: applies a layer to a snapshot given as containerd mounts, like containerd's Applier.Apply.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { apply, type ApplyOptions, type ApplyResult } from './apply.js';
import { ioError } from '../errors.js';
import { resolveApplyTarget } from '../mounts/apply-target.js';
import type { OverlayModuleDefaults } from '../mounts/module-defaults.js';

/** What `applyMounts` applies to which mounts and, as for `apply`, how. */
export interface ApplyMountsOptions extends Omit<ApplyOptions, 'dir' | 'format' | 'xattrNamespace'> {
  /** The snapshot's mounts, as containerd gives them (one bind mount, or one overlay with an upperdir). */
  mounts: readonly unknown[];
  /** Flush the snapshot's filesystem (syncfs) after applying, as containerd's `sync_fs` asks. Default: false. */
  syncFs?: boolean;
  /** The overlay module defaults for options the mounts leave out. Default: read from `sysfsDir`. */
  moduleDefaults?: OverlayModuleDefaults;
  /** Where the overlay module's parameters are read from. Default: /sys/module/overlay/parameters. */
  sysfsDir?: string;
}

/**
 * Applies `layer` to the snapshot `mounts` describe (see `resolveApplyTarget`), like containerd's
 * `Applier.Apply`: plain into a bind mount's source, in overlay format into an overlay's upperdir,
 * with the hardened `apply`. Nothing is mounted. With `syncFs` the filesystem holding the target is
 * flushed before returning. Rejects as `apply` does; mounts it cannot apply to exactly are
 * E_UNSUPPORTED_OVERLAY, malformed ones E_USAGE.
 */
export async function applyMounts(options: ApplyMountsOptions): Promise<ApplyResult> {
  const { mounts, syncFs, moduleDefaults, sysfsDir, ...applyOptions } = options;
  const target = resolveApplyTarget(mounts, {
    ...(moduleDefaults === undefined ? {} : { moduleDefaults }),
    ...(sysfsDir === undefined ? {} : { sysfsDir }),
  });
  const result = await apply({ ...applyOptions, dir: target.dir, format: target.format, xattrNamespace: target.xattrNamespace });
  if (syncFs === true) await syncFilesystem(target.dir);
  return result;
}

// Node has no syncfs(2); coreutils `sync --file-system` is that call.
async function syncFilesystem(dir: string): Promise<void> {
  try {
    await promisify(execFile)('sync', ['--file-system', dir]);
  } catch (err) {
    throw ioError('sync the filesystem of', dir, err);
  }
}
