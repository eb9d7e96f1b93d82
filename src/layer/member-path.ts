// Turns tar member names into checked path components relative to the target directory (pure).
import { OverlaydiffError, displayPath } from '../errors.js';
import { pathComponents } from '../fsio/path-components.js';

import { WH_OPAQUE, WH_PREFIX } from '../classify/whiteout.js';

export { WH_OPAQUE, WH_PREFIX };
/** aufs metadata names (`.wh..wh.plnk`, `.wh..wh.aufs`): never real entries. */
export const WH_META_PREFIX = Buffer.concat([WH_PREFIX, WH_PREFIX]);

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');
/** Longest name component, as the kernel's NAME_MAX: a longer one could never be created. */
export const NAME_MAX = 255;
/** Symlinks followed while resolving one path: the kernel's MAXSYMLINKS (path_resolution(7)). */
export const MAX_SYMLINKS = 40;
/** Longest resolved parent location, in bytes: what the kernel can name with one path (PATH_MAX - 1). */
export const MAX_RESOLVED_BYTES = 4095;

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
  const length = parts.reduce((sum, part) => sum + part.length + 1, -1);
  if (length > MAX_RESOLVED_BYTES) {
    throw new OverlaydiffError(
      'E_UNSAFE_PATH',
      `${displayPath(member)}: the ${what} name is ${length} bytes, more than PATH_MAX allows (${MAX_RESOLVED_BYTES}); refusing to apply it`,
      { path: member },
    );
  }
  const long = parts.find((part) => part.length > NAME_MAX);
  if (long !== undefined) {
    throw new OverlaydiffError('E_BAD_ARCHIVE', `${displayPath(member)}: a ${what} name component is ${long.length} bytes, more than NAME_MAX (${NAME_MAX})`, {
      path: member,
    });
  }
  return parts.map((part) => Buffer.from(part));
}

/** What a member's name asks for, once checked; apply and flatten read names through this alone. */
export type MemberPath =
  | { readonly kind: 'root' }
  | { readonly kind: 'opaque'; readonly parents: readonly Buffer[] }
  | { readonly kind: 'aufs-meta' }
  | { readonly kind: 'whiteout'; readonly parents: readonly Buffer[]; readonly name: Buffer }
  | { readonly kind: 'entry'; readonly parents: readonly Buffer[]; readonly leaf: Buffer };

/**
 * Checks a member's name and says what it is: the target directory itself (a 'dir' member only),
 * an opaque marker, aufs metadata (`.wh..wh.plnk`, ignored as containerd does), a whiteout of
 * `name`, or an entry. Refuses '..' components and whiteouts of '.' or '..' (E_UNSAFE_PATH),
 * whiteout names as parents, empty whiteout names and over-long components (E_BAD_ARCHIVE).
 */
export function parseMemberPath(path: Buffer, type: string): MemberPath {
  const parts = memberComponents(path);
  const leaf = parts.at(-1);
  const parents = parts.slice(0, -1);
  if (parents.some((part) => hasPrefix(part, WH_PREFIX))) throw bad(path, 'a whiteout name cannot be a parent directory');
  if (leaf === undefined) {
    if (type !== 'dir') throw bad(path, `the target directory itself cannot be a ${type}`);
    return { kind: 'root' };
  }
  if (leaf.equals(WH_OPAQUE)) return { kind: 'opaque', parents };
  if (hasPrefix(leaf, WH_META_PREFIX)) return { kind: 'aufs-meta' };
  if (!hasPrefix(leaf, WH_PREFIX)) return { kind: 'entry', parents, leaf };
  const name = leaf.subarray(WH_PREFIX.length);
  if (name.length === 0) throw bad(path, 'a whiteout with an empty name');
  // `.wh..` and `.wh...` would name the directory itself or its parent: never lower content.
  if (isDotName(name)) {
    throw new OverlaydiffError(
      'E_UNSAFE_PATH',
      `${displayPath(path)}: a whiteout of '${name.toString('latin1')}' would delete a directory above it; refusing to apply it`,
      { path },
    );
  }
  return { kind: 'whiteout', parents, name: Buffer.from(name) };
}

function bad(member: Buffer, why: string): OverlaydiffError {
  return new OverlaydiffError('E_BAD_ARCHIVE', `${displayPath(member)}: ${why}`, { path: member });
}

/** True when `name` starts with `prefix`. */
export function hasPrefix(name: Buffer, prefix: Buffer): boolean {
  return name.length >= prefix.length && name.subarray(0, prefix.length).equals(prefix);
}

/** A lossless string key for a list of components (latin1 maps every byte to one code unit). */
export function componentsKey(parts: readonly Buffer[]): string {
  return parts.map((p) => p.toString('latin1')).join('/');
}
