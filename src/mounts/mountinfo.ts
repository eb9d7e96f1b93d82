// Reads /proc/self/mountinfo and describes the overlay mounted at a directory (its upperdir, lowerdirs, options).
import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { OverlaydiffError, ioError } from '../errors.js';
import { readModuleDefaults, type OverlayModuleDefaults } from './module-defaults.js';
import { parseOverlayOptions, type OverlaySnapshot } from './overlay-options.js';

export const MOUNTINFO_PATH = '/proc/self/mountinfo';

/** One line of mountinfo (proc(5)), every field unescaped. */
export interface MountInfoEntry {
  readonly mountId: number;
  readonly parentId: number;
  /** `major:minor` of st_dev. */
  readonly device: string;
  /** The directory of the filesystem that is the root of this mount ('/' unless a bind of a subtree). */
  readonly root: string;
  readonly mountPoint: string;
  /** Per-mount options (rw, nosuid, relatime, ...). */
  readonly mountOptions: readonly string[];
  readonly optionalFields: readonly string[];
  readonly fsType: string;
  readonly source: string;
  /**
   * Per-superblock options, one element per option, each exactly as the filesystem stored it
   * (for overlay: the lowerdir= string the mounter passed, escapes included; lowerdir+= paths verbatim).
   */
  readonly superOptions: readonly string[];
}

/**
 * Undoes the kernel's mountinfo escaping (`seq_escape`): `\ooo` (three octal digits) is one
 * character; a backslash not followed by three octal digits stays. The kernel escapes only
 * ASCII (space, tab, newline, backslash, and ',' inside overlay option values), so
 * `unescapeMountInfo(escape(s)) === s` for those.
 */
export function unescapeMountInfo(field: string): string {
  return field.replace(/\\([0-3][0-7]{2})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * Splits the super options field at its commas. Overlay escapes a ',' inside a value as `\054`, so
 * a raw comma always separates options, except inside double quotes, which security modules use
 * for values that contain commas (SELinux `context="a,b"`). Each option is unescaped afterwards.
 */
export function splitSuperOptions(field: string): string[] {
  const options: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of field) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      if (current !== '') options.push(unescapeMountInfo(current));
      current = '';
    } else {
      current += ch;
    }
  }
  if (current !== '') options.push(unescapeMountInfo(current));
  return options;
}

/** Parses one mountinfo line; throws E_IO naming the line when it does not have the proc(5) shape. */
export function parseMountInfoLine(line: string): MountInfoEntry {
  const fields = line.split(' ');
  const dash = fields.indexOf('-', 6);
  const [id, parent, device, root, mountPoint, mountOptions] = fields;
  const fsType = fields[dash + 1];
  const source = fields[dash + 2];
  const superOptions = fields[dash + 3];
  if (
    dash < 0 ||
    id === undefined ||
    parent === undefined ||
    device === undefined ||
    root === undefined ||
    mountPoint === undefined ||
    mountOptions === undefined ||
    fsType === undefined ||
    source === undefined ||
    superOptions === undefined ||
    !/^\d+$/.test(id) ||
    !/^\d+$/.test(parent)
  ) {
    throw new OverlaydiffError('E_IO', `malformed mountinfo line: ${JSON.stringify(line)}`);
  }
  return {
    mountId: Number(id),
    parentId: Number(parent),
    device,
    root: unescapeMountInfo(root),
    mountPoint: unescapeMountInfo(mountPoint),
    mountOptions: mountOptions.split(','),
    optionalFields: fields.slice(6, dash),
    fsType: unescapeMountInfo(fsType),
    source: unescapeMountInfo(source),
    superOptions: splitSuperOptions(superOptions),
  };
}

/** Parses a whole mountinfo text (blank lines ignored). */
export function parseMountInfo(text: string): MountInfoEntry[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map(parseMountInfoLine);
}

/**
 * The overlay mounted at `mountPoint` (an absolute, symlink-free path). Mounts stack: the last line
 * for a mount point is the one on top, the one a path lookup sees, so it decides. Throws E_USAGE
 * when nothing is mounted there, when the top mount is not an overlay, or when it is a bind mount of
 * a directory inside an overlay (its upperdir would be a subdirectory of the overlay's).
 */
export function findOverlayMount(entries: readonly MountInfoEntry[], mountPoint: string): MountInfoEntry {
  const top = entries.findLast((e) => e.mountPoint === mountPoint);
  if (top === undefined) throw new OverlaydiffError('E_USAGE', `${mountPoint}: not a mount point (not in ${MOUNTINFO_PATH})`, { path: mountPoint });
  if (top.fsType !== 'overlay') {
    throw new OverlaydiffError('E_USAGE', `${mountPoint}: the filesystem mounted there is ${top.fsType}, not overlay`, { path: mountPoint });
  }
  if (top.root !== '/') {
    throw new OverlaydiffError(
      'E_USAGE',
      `${mountPoint}: a bind mount of ${top.root} inside an overlay, not the overlay's root; use the overlay's own mount point`,
      { path: mountPoint },
    );
  }
  return top;
}

export interface MountpointOptions {
  /** Default: /proc/self/mountinfo. */
  readonly mountinfoPath?: string;
  /** Default: read from `sysfsDir`. */
  readonly moduleDefaults?: OverlayModuleDefaults;
  /** Default: /sys/module/overlay/parameters. */
  readonly sysfsDir?: string;
}

/**
 * Describes the live overlay mounted at `dir` from mountinfo: its upperdir, lowerdirs (topmost
 * first), namespace and features (options mountinfo leaves out are the module defaults: the kernel
 * shows only options that differ from them). Throws E_USAGE for a read-only overlay (nothing to diff)
 * or for layer paths mountinfo shows relative (mounted from another working directory).
 */
export function snapshotAtMountpoint(dir: string, options: MountpointOptions = {}): OverlaySnapshot & { readonly upperdir: string } {
  let mountPoint: string;
  try {
    mountPoint = realpathSync(dir);
  } catch (err) {
    throw ioError('resolve the mount point', dir, err);
  }
  const path = options.mountinfoPath ?? MOUNTINFO_PATH;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw ioError('read the mount table', path, err);
  }
  const text = bytes.toString('utf8');
  const entry = findOverlayMount(parseMountInfo(text), mountPoint);
  if (!Buffer.from(text, 'utf8').equals(bytes)) rejectNonUtf8(entry, mountPoint);
  const snapshot = parseOverlayOptions(entry.superOptions, options.moduleDefaults ?? readModuleDefaults(options.sysfsDir));
  const upperdir = snapshot.upperdir;
  if (upperdir === undefined) {
    throw new OverlaydiffError(
      'E_USAGE',
      `${mountPoint}: a read-only overlay (no upperdir), it holds no changes; diff its top layer as the upperdir (option \`upper\`: '${snapshot.lowers[0] ?? 'DIR'}') over the rest (option \`lowers\`)`,
      { path: mountPoint },
    );
  }
  for (const layer of [upperdir, ...snapshot.lowers, ...snapshot.dataLowers]) {
    if (!isAbsolute(layer)) {
      throw new OverlaydiffError(
        'E_USAGE',
        `${mountPoint}: mountinfo shows the relative layer path ${JSON.stringify(layer)} (mounted from another working directory); give the upperdir and lowerdirs as paths (option \`upper\`, option \`lowers\`)`,
        { path: mountPoint },
      );
    }
  }
  return { ...snapshot, upperdir };
}

// Paths are strings here: a layer path that is not valid UTF-8 cannot be named faithfully.
function rejectNonUtf8(entry: MountInfoEntry, mountPoint: string): void {
  if (entry.superOptions.some((o) => o.includes('\uFFFD'))) {
    throw new OverlaydiffError(
      'E_UNREPRESENTABLE',
      `${mountPoint}: a layer path of this overlay is not valid UTF-8; give the upperdir and lowerdirs as paths (option \`upper\`, option \`lowers\`)`,
      {
        path: mountPoint,
      },
    );
  }
}
