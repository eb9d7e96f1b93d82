// The overlay dialect of one mount: which xattr namespace holds its private attributes.
import { OverlaydiffError } from '../errors.js';
import type { Xattr, XattrNamespace } from '../types.js';

/** The private overlay attributes the differ reads. */
export type OverlayAttr = 'opaque' | 'whiteout' | 'redirect' | 'metacopy' | 'nlink' | 'origin';

export interface Dialect {
  readonly namespace: XattrNamespace;
  /** Full name of a private attribute in this mount's namespace, e.g. `trusted.overlay.opaque`. */
  xattr(attr: OverlayAttr): Buffer;
}

export function isXattrNamespace(value: unknown): value is XattrNamespace {
  return value === 'trusted' || value === 'user';
}

/** `value` as a namespace, `trusted` when absent; E_USAGE for anything else (a JS caller may pass any string). */
export function checkXattrNamespace(value: unknown = 'trusted'): XattrNamespace {
  if (!isXattrNamespace(value)) throw new OverlaydiffError('E_USAGE', `invalid xattr namespace ${JSON.stringify(value)}: use trusted or user`);
  return value;
}

/** The dialect for `namespace`; only that namespace's attributes ever mean anything. */
export function dialectFor(namespace: XattrNamespace): Dialect {
  checkXattrNamespace(namespace);
  const names = new Map<OverlayAttr, Buffer>();
  for (const attr of ['opaque', 'whiteout', 'redirect', 'metacopy', 'nlink', 'origin'] as const) {
    names.set(attr, Buffer.from(`${namespace}.overlay.${attr}`));
  }
  return { namespace, xattr: (attr) => names.get(attr)! };
}

/** The value of xattr `name` in a sorted xattr list, or undefined. */
export function findXattr(xattrs: readonly Xattr[], name: Buffer): Buffer | undefined {
  for (const x of xattrs) if (x.name.equals(name)) return x.value;
  return undefined;
}

// Attributes that belong to an overlay implementation, in either namespace (escaped
// `*.overlay.overlay.*` forms included): they describe a mount, never the file, so they never
// enter a layer. fuse-overlayfs keeps its state in user.fuseoverlayfs.*.
const PRIVATE_PREFIXES = ['trusted.overlay.', 'user.overlay.', 'user.fuseoverlayfs.'].map((p) => Buffer.from(p));

/** True for an overlay-private xattr name. */
export function isPrivateXattr(name: Buffer): boolean {
  return PRIVATE_PREFIXES.some((prefix) => name.length >= prefix.length && name.subarray(0, prefix.length).equals(prefix));
}
