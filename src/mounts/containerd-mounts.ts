// Validates containerd Mount values and resolves a (lower, upper) pair, as given to Differ.Compare, into an upperdir and its lowerdirs.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ioError, OverlaydiffError, usageError } from '../errors.js';
import type { XattrNamespace } from '../types.js';
import { readModuleDefaults, type OverlayModuleDefaults } from './module-defaults.js';
import { splitMountData } from './overlay-escapes.js';
import { parseOverlayOptions, type OverlayFeatures, type OverlaySnapshot } from './overlay-options.js';

/**
 * containerd's Mount (core/mount/mount.go; JSON field names of its API type, `types.Mount`):
 * one mount(2) call. `options` mixes mount flags (`ro`, `rbind`) and filesystem data (`lowerdir=...`).
 */
export interface Mount {
  /** The filesystem type: `overlay` or `bind`. */
  readonly type: string;
  /** What is mounted: a directory for `bind`, a free name (`overlay`) for an overlay. */
  readonly source: string;
  /** A subdirectory to mount on; only '' (the root) is supported. */
  readonly target?: string;
  /** Mount flags and filesystem data, one option each (`ro`, `lowerdir=/a:/b`, `userxattr`). */
  readonly options: readonly string[];
}

/** What a (lower, upper) mount pair means for the differ. */
export interface ResolvedSnapshot {
  /** The directory holding the changes (an upperdir, or the top layer of a committed snapshot). */
  readonly upper: string;
  /** The lowerdirs of the lower view, topmost first. */
  readonly lowers: readonly string[];
  /** The upper mount's data-only layers (metacopy data; not part of the merged view). */
  readonly dataLowers: readonly string[];
  readonly xattrNamespace: XattrNamespace;
  /**
   * `overlay`: an active snapshot (overlay with upperdir). `readonly-overlay`: a committed snapshot's
   * view (overlay without upperdir; its top lowerdir is the change). `bind`: a snapshot without parent.
   */
  readonly upperKind: 'overlay' | 'readonly-overlay' | 'bind';
  /** The upper overlay's features (absent for a bind mount). */
  readonly features?: OverlayFeatures;
  /** The upper overlay's workdir when it has index=on: the kernel's index of copied-up hardlinks is there. */
  readonly workdir?: string;
}

export interface ResolveMountsOptions {
  /** The namespace the caller expects; an error when the upper mount says otherwise. Default: from the mount. */
  readonly xattrNamespace?: XattrNamespace;
  /** Default: read from `sysfsDir` (only when an overlay mount is given). */
  readonly moduleDefaults?: OverlayModuleDefaults;
  /** Default: /sys/module/overlay/parameters. */
  readonly sysfsDir?: string;
}

const FIELDS = ['type', 'source', 'target', 'options'] as const;
type Field = (typeof FIELDS)[number];

/**
 * Checks that `value` is an array of Mounts and returns them with defaults filled in (`source: ''`,
 * `options: []`: protobuf JSON leaves empty fields out). Field names may also be spelled as Go's
 * encoding/json writes containerd's untagged struct (`Type`, `Source`, `Target`, `Options`).
 * Throws E_USAGE naming the offending field, e.g. `upper[0].options[2]`.
 */
export function validateMounts(value: unknown, where: string): Mount[] {
  if (!Array.isArray(value)) throw usageError(`${where}: expected an array of mounts, got ${describe(value)}`);
  return value.map((item: unknown, i) => validateMount(item, `${where}[${i}]`));
}

function validateMount(item: unknown, where: string): Mount {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw usageError(`${where}: expected a mount object, got ${describe(item)}`);
  const fields = new Map<Field, unknown>();
  for (const [key, value] of Object.entries(item)) {
    const field = FIELDS.find((f) => f === key || capitalize(f) === key);
    if (field === undefined) throw usageError(`${where}.${key}: unknown field (a mount has ${FIELDS.join(', ')})`);
    if (fields.has(field)) throw usageError(`${where}.${key}: ${field} is given twice`);
    fields.set(field, value);
  }
  const type = fields.get('type');
  if (typeof type !== 'string' || type === '') throw usageError(`${where}.type: expected a mount type such as "overlay" or "bind", got ${describe(type)}`);
  const source = fields.get('source') ?? '';
  if (typeof source !== 'string') throw usageError(`${where}.source: expected a string, got ${describe(source)}`);
  const target = fields.get('target') ?? '';
  if (typeof target !== 'string') throw usageError(`${where}.target: expected a string, got ${describe(target)}`);
  const options = fields.get('options') ?? [];
  if (!Array.isArray(options)) throw usageError(`${where}.options: expected an array of strings, got ${describe(options)}`);
  options.forEach((o: unknown, j) => {
    if (typeof o !== 'string') throw usageError(`${where}.options[${j}]: expected a string, got ${describe(o)}`);
  });
  return { type, source, ...(target === '' ? {} : { target }), options: options as string[] };
}

/**
 * Reads a mounts document: `{"upper": Mount[], "lower": Mount[]}` (`lower` may be left out for a
 * first layer), or a bare Mount[] meaning the upper alone.
 */
export function parseMountsDocument(value: unknown): { upper: Mount[]; lower: Mount[] | undefined } {
  // A bare [Mount] is the snapshot alone: its base is what its own lowerdirs show.
  if (Array.isArray(value)) return { upper: validateMounts(value, 'upper'), lower: undefined };
  if (typeof value !== 'object' || value === null) throw usageError(`expected {"upper": [...], "lower": [...]} or an array of mounts, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (key !== 'upper' && key !== 'lower') throw usageError(`${key}: unknown field (expected upper and lower)`);
  }
  const doc = value as { upper?: unknown; lower?: unknown };
  if (doc.upper === undefined) throw usageError('upper: missing (the snapshot to diff)');
  return { upper: validateMounts(doc.upper, 'upper'), lower: doc.lower === undefined ? undefined : validateMounts(doc.lower, 'lower') };
}

type Shape = { readonly kind: 'overlay'; readonly snapshot: OverlaySnapshot } | { readonly kind: 'bind'; readonly dir: string };

/**
 * Resolves containerd's `Compare(lower, upper)` arguments as the overlay snapshotter builds them
 * (plugins/snapshots/overlay/overlay.go `mounts()`):
 * - upper: an active snapshot is an overlay with `upperdir=U` and `lowerdir=P0:P1...` (its parents,
 *   topmost first); a committed snapshot's view is an overlay without upperdir, `lowerdir=S:P0:P1...`
 *   (S, its own layer, is the change); a snapshot without parent is a bind mount of its directory.
 * - lower: the parent's view: an overlay with `lowerdir=P0:P1...` (or one with `upperdir=P0` and
 *   `lowerdir=P1...`), a bind mount of P0 when the parent is a single layer, and for no parent either
 *   nothing or a bind mount of an empty directory. `undefined` (no parent mounts given at all) takes
 *   the upper mount's own lowerdirs as the base.
 * The upper's lowerdirs must equal the lower's view (paths compared after `path.resolve`), or both
 * must be empty directories; anything else throws E_USAGE saying what was expected. The namespace
 * comes from the upper mount (`userxattr` → user); a contradicting `options.xattrNamespace` or a lower
 * overlay of the other namespace throws E_USAGE.
 */
export function resolveMounts(lower: readonly Mount[] | undefined, upper: readonly Mount[], options: ResolveMountsOptions = {}): ResolvedSnapshot {
  let cached: OverlayModuleDefaults | undefined = options.moduleDefaults;
  const defaults = (): OverlayModuleDefaults => (cached ??= readModuleDefaults(options.sysfsDir));
  const lowerMounts = lower === undefined ? [] : validateMounts(lower, 'lower');
  const upperMounts = validateMounts(upper, 'upper');
  if (upperMounts.length !== 1) throw usageError(`upper: expected exactly one mount, got ${upperMounts.length}`);
  if (lowerMounts.length > 1) throw usageError(`lower: expected at most one mount (the parent's view), got ${lowerMounts.length}`);
  const top = shapeOf(upperMounts[0]!, 'upper[0]', defaults);
  const parent = lowerMounts[0] === undefined ? undefined : shapeOf(lowerMounts[0], 'lower[0]', defaults);

  const view = parent === undefined ? [] : parent.kind === 'bind' ? [parent.dir] : layersOf(parent.snapshot);
  let changes: string;
  let expected: readonly string[];
  let upperKind: ResolvedSnapshot['upperKind'];
  if (top.kind === 'bind') {
    [changes, expected, upperKind] = [top.dir, [], 'bind'];
  } else if (top.snapshot.upperdir !== undefined) {
    [changes, expected, upperKind] = [top.snapshot.upperdir, top.snapshot.lowers, 'overlay'];
  } else {
    const [own, ...rest] = top.snapshot.lowers;
    [changes, expected, upperKind] = [own!, rest, 'readonly-overlay'];
  }

  let lowers: readonly string[];
  if (lower === undefined || sameDirs(expected, view)) lowers = expected;
  else if (view.length === 0 && expected.every(isEmptyDirectory)) lowers = expected;
  else if (expected.length === 0 && view.every(isEmptyDirectory)) lowers = [];
  else if (top.kind === 'bind') {
    throw usageError(
      `the upper is a bind mount (a snapshot without parent) but the lower mount's view (${listDirs(view)}) is not empty: ` +
        'a full tree cannot be diffed against a non-empty parent from its directory alone',
    );
  } else {
    throw usageError(
      `the upper mount's lowerdirs (${listDirs(expected)}) are not the lower mount's view (${listDirs(view)}): ` +
        `pass the parent snapshot's mounts as the lower (an overlay with the same lowerdirs, a bind mount of ` +
        `the single lowerdir, or none for a first layer)`,
    );
  }

  const mountNamespace = top.kind === 'overlay' ? top.snapshot.xattrNamespace : undefined;
  if (top.kind === 'overlay' && parent?.kind === 'overlay' && parent.snapshot.xattrNamespace !== top.snapshot.xattrNamespace) {
    throw usageError(
      `the upper mount uses the ${top.snapshot.xattrNamespace} namespace but the lower mount uses ${parent.snapshot.xattrNamespace} ` +
        '(userxattr on one only): they would see different merged views of the same layers',
    );
  }
  if (options.xattrNamespace !== undefined && mountNamespace !== undefined && options.xattrNamespace !== mountNamespace) {
    throw usageError(
      `xattr namespace ${options.xattrNamespace} contradicts the upper mount, which ${mountNamespace === 'user' ? 'has' : 'lacks'} ` +
        `userxattr (namespace ${mountNamespace})`,
    );
  }
  return {
    upper: changes,
    lowers,
    dataLowers: top.kind === 'overlay' ? top.snapshot.dataLowers : [],
    xattrNamespace: mountNamespace ?? options.xattrNamespace ?? 'trusted',
    upperKind,
    ...(top.kind === 'overlay' ? { features: top.snapshot.features } : {}),
    ...(top.kind === 'overlay' && top.snapshot.features.index && top.snapshot.workdir !== undefined ? { workdir: top.snapshot.workdir } : {}),
  };
}

// containerd handles these itself (core/mount/mount_linux.go parseMountOptions); they are not overlay data.
const PROPAGATION_FLAGS = new Set(['shared', 'rshared', 'private', 'rprivate', 'slave', 'rslave', 'unbindable', 'runbindable']);

function shapeOf(mount: Mount, where: string, defaults: () => OverlayModuleDefaults): Shape {
  if (mount.target !== undefined && mount.target !== '/') {
    throw usageError(`${where}.target: mounts on a subdirectory (${JSON.stringify(mount.target)}) are not supported; give the snapshot's root mount`);
  }
  const idmap = mount.options.find((o) => o.startsWith('uidmap=') || o.startsWith('gidmap='));
  if (idmap !== undefined) {
    throw new OverlaydiffError(
      'E_UNSUPPORTED_OVERLAY',
      `${where}: ${idmap}: idmapped snapshots are not supported (the upperdir holds host ids, and the layer would carry them)`,
    );
  }
  const isBind = mount.options.includes('bind') || mount.options.includes('rbind');
  if (mount.type === 'bind' || (mount.type === 'none' && isBind)) {
    if (mount.source === '') throw usageError(`${where}.source: a bind mount needs the directory to bind`);
    return { kind: 'bind', dir: resolve(mount.source) };
  }
  if (mount.type !== 'overlay') {
    throw new OverlaydiffError('E_UNSUPPORTED_OVERLAY', `${where}.type: unsupported mount type ${JSON.stringify(mount.type)} (supported: overlay, bind)`);
  }
  const data: string[] = [];
  for (const option of mount.options) {
    if (option === 'bind' || option === 'rbind' || option === 'remount' || option === 'loop') {
      throw usageError(`${where}.options: ${JSON.stringify(option)} makes no sense for an overlay mount`);
    }
    // containerd joins the remaining options with ',' for mount(2); the kernel splits them again.
    if (!PROPAGATION_FLAGS.has(option)) data.push(...splitMountData(option));
  }
  const parsed = parseOverlayOptions(data, defaults());
  return {
    kind: 'overlay',
    snapshot: {
      ...parsed,
      ...(parsed.upperdir === undefined ? {} : { upperdir: resolve(parsed.upperdir) }),
      ...(parsed.workdir === undefined ? {} : { workdir: resolve(parsed.workdir) }),
      lowers: parsed.lowers.map((l) => resolve(l)),
      dataLowers: parsed.dataLowers.map((l) => resolve(l)),
    },
  };
}

// The merged view an overlay presents, as layers topmost first (containerd's readonlyOverlay: upperdir goes on top).
function layersOf(snapshot: OverlaySnapshot): string[] {
  return snapshot.upperdir === undefined ? [...snapshot.lowers] : [snapshot.upperdir, ...snapshot.lowers];
}

function sameDirs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((dir, i) => dir === b[i]);
}

function isEmptyDirectory(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (err) {
    throw ioError('read the lower directory', dir, err);
  }
}

function listDirs(dirs: readonly string[]): string {
  return dirs.length === 0 ? 'none' : dirs.join(':');
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
