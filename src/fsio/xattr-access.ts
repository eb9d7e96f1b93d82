// Tells whether this process can see an overlay's private xattrs in a namespace: `trusted.*` needs
// CAP_SYS_ADMIN in the initial user namespace; without it the kernel hides those attributes
// (listxattr leaves them out, getxattr says ENODATA), so opaque markers would silently vanish.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OverlaydiffError, errnoCode } from '../errors.js';
import type { XattrNamespace } from '../types.js';
import { unmappedOwnerIds } from './user-namespace.js';
import { getXattr, setXattr } from './xattr.js';

const CAP_SYS_ADMIN = 21n;

/** Why `trusted.*` xattrs are invisible to this process, or undefined when they are visible. */
export type TrustedXattrDenial = string | undefined;

let cachedDenial: { value: TrustedXattrDenial } | undefined;

/**
 * Undefined when this process can read and write `trusted.*` xattrs, else the reason. Decided by
 * the effective capabilities and, because CAP_SYS_ADMIN inside a user namespace is not enough, by
 * a probe: a `trusted.*` attribute set on a temporary file and read back. Computed once per process
 * (capabilities and namespaces are properties of the process).
 */
export function trustedXattrDenial(): TrustedXattrDenial {
  cachedDenial ??= { value: probeTrustedXattrs() };
  return cachedDenial.value;
}

/**
 * Throws E_PERMISSION when `namespace` is `trusted` and this process cannot see `trusted.*`
 * attributes; `task` says what needed them (e.g. "diff").
 */
export function assertXattrNamespaceAccess(namespace: XattrNamespace, task: string): void {
  if (namespace !== 'trusted') return;
  const denial = trustedXattrDenial();
  if (denial === undefined) return;
  throw new OverlaydiffError(
    'E_PERMISSION',
    `cannot ${task} in the trusted xattr namespace: ${denial}, so the kernel hides trusted.overlay.* attributes ` +
      '(opaque directories and whiteout attributes would be missed and the result would be wrong). Run it as root ' +
      "outside any user namespace, or, for an overlay mounted with userxattr, use the user namespace (option `xattrNamespace`: 'user')",
  );
}

function probeTrustedXattrs(): TrustedXattrDenial {
  const caps = effectiveCapabilities();
  if (caps !== undefined && ((caps >> CAP_SYS_ADMIN) & 1n) === 0n) {
    return `this process (uid ${process.getuid?.() ?? '?'}) lacks CAP_SYS_ADMIN`;
  }
  const inUserNamespace = unmappedOwnerIds() !== undefined;
  const verdict = probeWithTempFile();
  if (verdict === 'denied') {
    return inUserNamespace ? 'this process runs in a user namespace' : 'the kernel refused a trusted.* attribute to this process';
  }
  if (verdict === 'allowed') return undefined;
  // The temp directory's filesystem could not tell: CAP_SYS_ADMIN counts only in the initial namespace.
  return inUserNamespace ? 'this process runs in a user namespace' : undefined;
}

// CapEff from /proc/self/status, or undefined when it cannot be read.
function effectiveCapabilities(): bigint | undefined {
  try {
    const match = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match === null ? undefined : BigInt(`0x${match[1]!}`);
  } catch {
    return undefined;
  }
}

function probeWithTempFile(): 'allowed' | 'denied' | 'unknown' {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'overlaydiff-xattr-probe-'));
  } catch {
    return 'unknown';
  }
  try {
    const file = Buffer.from(join(dir, 'probe'));
    writeFileSync(file, '');
    const name = Buffer.from('trusted.overlaydiff.probe');
    setXattr(file, name, Buffer.from('1'));
    return getXattr(file, name)?.equals(Buffer.from('1')) === true ? 'allowed' : 'denied';
  } catch (err) {
    const code = errnoCode(err);
    return code === 'EPERM' || code === 'EACCES' ? 'denied' : 'unknown';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
