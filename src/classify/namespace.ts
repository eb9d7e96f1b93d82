// The overlay dialect of one mount: which xattr namespace holds its private attributes.
import { OverlaydiffError } from '../errors.js';
import type { Xattr, XattrNamespace } from '../types.js';

/** The namespaces overlayfs keeps its private attributes in (`userxattr` mounts use `user`). */
const XATTR_NAMESPACES: readonly XattrNamespace[] = ['trusted', 'user'];

/** The private overlay attributes the differ reads or writes. */
const OVERLAY_ATTRS = ['opaque', 'whiteout', 'redirect', 'metacopy', 'nlink', 'origin'] as const;
export type OverlayAttr = (typeof OVERLAY_ATTRS)[number];

/** `<ns>.overlay.`: every private overlay attribute of a namespace starts with it. */
function overlayPrefix(namespace: XattrNamespace): string {
  return `${namespace}.overlay.`;
}

export interface Dialect {
  readonly namespace: XattrNamespace;
  /** Full name of a private attribute in this mount's namespace, e.g. `trusted.overlay.opaque`. */
  xattr(attr: OverlayAttr): Buffer;
}

export function isXattrNamespace(value: unknown): value is XattrNamespace {
  return XATTR_NAMESPACES.some((namespace) => namespace === value);
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
  for (const attr of OVERLAY_ATTRS) {
    names.set(attr, Buffer.from(overlayPrefix(namespace) + attr));
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
const PRIVATE_PREFIXES = [...XATTR_NAMESPACES.map(overlayPrefix), 'user.fuseoverlayfs.'].map((p) => Buffer.from(p));

/** True for an overlay-private xattr name. */
export function isPrivateXattr(name: Buffer): boolean {
  return PRIVATE_PREFIXES.some((prefix) => name.length >= prefix.length && name.subarray(0, prefix.length).equals(prefix));
}
