// Mounts containerd snapshots by what `ctr snapshots mounts` prints, and runs shell steps in them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Containerd2 } from './containerd2.js';
import type { Manifest } from './overlay.js';
import { REPO } from './overlay.js';

const HARNESS = join(REPO, 'native-tests/harness');

/** The mount(8) arguments of snapshot `key`: `mount -t TYPE SOURCE TARGET -o OPTIONS` as ctr prints it. */
export function snapshotMount(c: Containerd2, ns: string, key: string): { type: string; source: string; options: string } {
  const line = c.ctr(ns, ['snapshots', 'mounts', '/TARGET', key]).trim();
  const m = /^mount -t (\S+) (\S+) \/TARGET -o (\S+)$/.exec(line);
  if (m === null) throw new Error(`unexpected ctr snapshots mounts output: ${line}`);
  return { type: m[1]!, source: m[2]!, options: m[3]! };
}

/** Mounts snapshot `key`, runs `fn` on the mount point, unmounts. */
export function withSnapshotMounted<T>(c: Containerd2, ns: string, key: string, fn: (dir: string) => T): T {
  const { type, source, options } = snapshotMount(c, ns, key);
  const target = mkdtempSync(join(c.dir, 'mnt-'));
  execFileSync('mount', ['-t', type, source, target, '-o', options]);
  try {
    return fn(target);
  } finally {
    execFileSync('umount', [target]);
    rmdirSync(target);
  }
}

/** Runs a bash script with the working directory `dir`. */
export function shellIn(dir: string, script: string): void {
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`script failed in ${dir} (${r.status}): ${r.stderr}\n${script}`);
}

/** The harness's independent manifest of a tree (manifest.py). */
export function manifestOf(dir: string): Manifest {
  return JSON.parse(execFileSync('python3', [join(HARNESS, 'manifest.py'), dir], { encoding: 'utf8', maxBuffer: 1 << 28 })) as Manifest;
}

/** Applies a plain tar layer onto `dir` with the harness's independent applier (apply_layer.py). */
export function applyIndependently(dir: string, layer: string): void {
  execFileSync('python3', [join(HARNESS, 'apply_layer.py'), dir, layer]);
}

/**
 * A 3-level chain in `ns`, every change made through the kernel's merged view: `l1` (no parent,
 * committed as `c1`), `l2` (whiteouts, an opaque dir, copy-ups, a new hardlink, xattrs; committed
 * as `c2`) and `l3`, left active (deletes of level-1 and level-2 entries, a dir where one was
 * deleted, an xattr removed, a fifo, a 3 MB file and a hardlink to it).
 */
export function buildChain(c: Containerd2, ns: string): void {
  // Level 1: a snapshot without parent (a bind mount), filled directly.
  c.ctr(ns, ['snapshots', 'prepare', 'l1', '']);
  withSnapshotMounted(c, ns, 'l1', (dir) =>
    shellIn(
      dir,
      `
      mkdir -p etc/app opq/sub deldir/x usr/bin home/user
      echo base > etc/app/conf; echo keep > etc/hostname; echo gone > delfile
      echo o > opq/sub/f; echo t > usr/bin/tool; ln usr/bin/tool usr/bin/tool-link
      setfattr -n user.note -v base etc/app/conf; ln -s hostname etc/link
      echo mine > home/user/file; chown -R 1000:1000 home/user; chmod 0640 etc/hostname`,
    ),
  );
  c.ctr(ns, ['snapshots', 'commit', 'c1', 'l1']);
  // Level 2: changes through the kernel's merged view (whiteouts, an opaque dir, copy-ups, a new hardlink).
  c.ctr(ns, ['snapshots', 'prepare', 'l2', 'c1']);
  withSnapshotMounted(c, ns, 'l2', (dir) =>
    shellIn(
      dir,
      `
      echo changed > etc/app/conf; rm delfile; rm -r deldir
      rm -r opq; mkdir opq; echo new > opq/g
      ln etc/hostname etc/hostname-link; setfattr -n user.x -v 1 etc/hostname
      chmod 4755 usr/bin/tool; mkdir newdir; echo n > newdir/f`,
    ),
  );
  c.ctr(ns, ['snapshots', 'commit', 'c2', 'l2']);
  // Level 3 stays active: deletes of level-1 and level-2 entries, a dir where a dir was deleted, an xattr removed.
  c.ctr(ns, ['snapshots', 'prepare', 'l3', 'c2']);
  withSnapshotMounted(c, ns, 'l3', (dir) =>
    shellIn(
      dir,
      `
      rm etc/hostname; echo again > delfile; rm opq/g; mkdir -p deldir; echo d > deldir/y
      setfattr -x user.note etc/app/conf; rm usr/bin/tool-link; ln -s /nowhere dangling; mkfifo fifo
      head -c 3000000 /dev/urandom > big; ln big big-link`,
    ),
  );
}
