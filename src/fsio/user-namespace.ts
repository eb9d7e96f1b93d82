// Tells whether this process runs in a user namespace that leaves some ids unmapped.
import { readFileSync } from 'node:fs';

/** The ids the kernel shows for owners unmapped in this user namespace. */
export interface OverflowIds {
  readonly uid: number;
  readonly gid: number;
}

const FULL_MAP = /^\s*0\s+0\s+4294967295\s*$/;

/**
 * The overflow uid/gid when this process's user namespace does not map every id (e.g. inside
 * `unshare -Urm`), so that an owner shown as 65534 may really be someone else; undefined in the
 * initial namespace, where every id is real.
 */
export function unmappedOwnerIds(): OverflowIds | undefined {
  const uidMap = readFileSync('/proc/self/uid_map', 'utf8');
  const gidMap = readFileSync('/proc/self/gid_map', 'utf8');
  if (FULL_MAP.test(uidMap) && FULL_MAP.test(gidMap)) return undefined;
  return {
    uid: Number(readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim()),
    gid: Number(readFileSync('/proc/sys/kernel/overflowgid', 'utf8').trim()),
  };
}
