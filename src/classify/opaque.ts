// Reads a directory's opaque marker in the mount's namespace only.
import type { Xattr } from '../types.js';
import { findXattr, type Dialect } from './namespace.js';

const Y = Buffer.from('y');
const X = Buffer.from('x');

/**
 * True when the directory hides its lower content: `<ns>.overlay.opaque=y` in the mount's own
 * namespace. The other namespace's attribute is ordinary data copied up from a lower (treating it
 * as opaque is the stargz-snapshotter #681 / buildkit #2720 bug), and `x` means "contains xattr
 * whiteouts", not opaque.
 */
export function isOpaqueDir(xattrs: readonly Xattr[], dialect: Dialect): boolean {
  return findXattr(xattrs, dialect.xattr('opaque'))?.equals(Y) ?? false;
}

/** True when the directory may hold xattr whiteouts (`<ns>.overlay.opaque=x`). */
export function hasXattrWhiteouts(xattrs: readonly Xattr[], dialect: Dialect): boolean {
  return findXattr(xattrs, dialect.xattr('opaque'))?.equals(X) ?? false;
}
