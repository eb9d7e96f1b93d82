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
