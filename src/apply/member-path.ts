// Turns tar member names into checked path components relative to the target directory (pure).
import { OverlaydiffError, displayPath } from '../errors.js';
import { pathComponents } from '../fsio/path-components.js';

import { WH_OPAQUE, WH_PREFIX } from '../classify/whiteout.js';

export { WH_OPAQUE, WH_PREFIX };
/** aufs metadata names (`.wh..wh.plnk`, `.wh..wh.aufs`): never real entries. */
export const WH_META_PREFIX = Buffer.concat([WH_PREFIX, WH_PREFIX]);

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

/** True for a name that is not an entry of its directory ('.' or '..'): a whiteout may never name one. */
export function isDotName(name: Buffer): boolean {
  return name.equals(DOT) || name.equals(DOTDOT);
}

/**
 * Splits a member name (or hardlink target) into components, as containerd does with
 * `filepath.Join("/", name)` for absolute names: leading '/' are stripped, so `/etc/x` is `etc/x`
 * inside the target. Empty and '.' components are dropped; `[]` is the target directory itself.
 * A '..' component is refused (E_UNSAFE_PATH): no layer writer emits one, and clamping it would
 * silently write somewhere the archive did not name.
 */
export function memberComponents(name: Buffer, what = 'member', member = name): Buffer[] {
  const parts = pathComponents(name);
  if (parts.some((part) => part.equals(DOTDOT))) {
    const subject = member === name ? displayPath(name) : `${displayPath(member)}: ${what} ${displayPath(name)}`;
    throw new OverlaydiffError('E_UNSAFE_PATH', `${subject}: ${what} name has a '..' component; refusing to apply it`, { path: member });
  }
  return parts.map((part) => Buffer.from(part));
}

/** True when `name` starts with `prefix`. */
export function hasPrefix(name: Buffer, prefix: Buffer): boolean {
  return name.length >= prefix.length && name.subarray(0, prefix.length).equals(prefix);
}

/** A lossless string key for a list of components (latin1 maps every byte to one code unit). */
export function componentsKey(parts: readonly Buffer[]): string {
  return parts.map((p) => p.toString('latin1')).join('/');
}
