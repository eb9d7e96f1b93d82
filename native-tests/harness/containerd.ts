// A private containerd daemon for native tests: its own root, state and socket in a temp dir, never the system's.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { daemonConfigLines } from '../../fixtures/containerd-config.js';
import { whyUnavailable } from './preflight.js';

// Only catches a containerd that never answers; a loaded machine can take far longer than an idle one.
const READY_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 5_000;

/**
 * Plugins the tests never use. The CRI plugin would set up CNI and a sandbox image; `opt` creates
 * /opt/containerd; the runtime, task and monitor plugins start shims whose sockets 1.6 puts under
 * the hard-coded /run/containerd/s; the other snapshotters probe kernels and filesystems we lack.
 */
const DISABLED_PLUGINS = [
  'io.containerd.grpc.v1.cri',
  'io.containerd.internal.v1.opt',
  'io.containerd.internal.v1.restart',
  'io.containerd.runtime.v1.linux',
  'io.containerd.runtime.v2.task',
  'io.containerd.monitor.v1.cgroups',
  'io.containerd.service.v1.tasks-service',
  'io.containerd.grpc.v1.tasks',
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.zfs',
];

let cached: { reason: string | undefined } | undefined;

/** Why a private containerd cannot run here (no root or overlay, or no containerd/ctr binary), or undefined when it can. */
export function whyContainerdUnavailable(): string | undefined {
  cached ??= { reason: whyUnavailable('trusted') ?? missingBinary() };
  return cached.reason;
}

function missingBinary(): string | undefined {
  for (const binary of ['containerd', 'ctr']) {
    const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
    if (r.error !== undefined) return `${binary} is not installed (apt-get install containerd): ${r.error.message}`;
    if (r.status !== 0) return `\`${binary} --version\` exited ${r.status ?? r.signal} (apt-get install containerd): ${r.stderr.trim()}`;
  }
  return undefined;
}

/**
 * Returns true when the containerd tests should run. Prints why not otherwise; under CI=true a
 * missing containerd is a failure, never a silent skip (as `canRun` in preflight.ts).
 */
export function canRunContainerd(): boolean {
  const reason = whyContainerdUnavailable();
  if (reason === undefined) return true;
  if (process.env['CI'] === 'true') throw new Error(`containerd tests cannot run under CI: ${reason}`);
  console.warn(`skipping containerd tests: ${reason}`);
  return false;
}

/** A running private daemon; `ctr` runs the client against it in one containerd namespace. */
export interface Containerd {
  /** The temp dir holding config, root, state, socket and log. */
  readonly dir: string;
  /** The grpc socket. */
  readonly address: string;
  /** Runs `ctr --address SOCK --namespace NS ...args`, returns stdout; throws with stderr on failure. */
  ctr(namespace: string, args: string[]): string;
  /** Mounts `ref`'s rootfs read-only with `ctr images mount`, runs `fn` on it, unmounts and removes the view snapshot. */
  withImageMounted<T>(namespace: string, ref: string, fn: (rootfs: string) => T): T;
  /** SIGTERM, then SIGKILL after a grace period; unmounts what is left under `dir`; removes `dir`. */
  stop(): Promise<void>;
}

function configFor(dir: string, address: string): string {
  return [...daemonConfigLines(2, dir, address, DISABLED_PLUGINS), ''].join('\n');
}

/** Mount points at or below `dir` in this mount namespace, deepest first. */
function mountsUnder(dir: string): string[] {
  // Field 5 of mountinfo is the mount point, with space, tab, newline and backslash as \ooo.
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))));
  return points.filter((p) => p === dir || p.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return true;
  const gone = new Promise<true>((resolve) => child.once('exit', () => resolve(true)));
  return Promise.race([gone, sleep(ms).then(() => exited(child))]);
}

/** SIGTERM, then SIGKILL after a grace period; unmounts what is left under `dir`; removes `dir`. */
export async function stopDaemon(child: ChildProcess, dir: string): Promise<void> {
  if (!exited(child)) {
    child.kill('SIGTERM');
    if (!(await waitForExit(child, STOP_GRACE_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_GRACE_MS);
    }
  }
  for (const point of mountsUnder(dir)) {
    const r = spawnSync('umount', [point], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cannot unmount ${point} left by containerd: ${r.stderr}`);
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Starts containerd with a config written into a fresh temp dir and waits until `ctr version` answers. */
export async function startContainerd(): Promise<Containerd> {
  const dir = mkdtempSync(join(tmpdir(), 'overlaydiff-containerd-'));
  const address = join(dir, 'containerd.sock');
  const configPath = join(dir, 'config.toml');
  const logPath = join(dir, 'containerd.log');
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(configPath, configFor(dir, address));
  const log = openSync(logPath, 'a');
  const child = spawn('containerd', ['--config', configPath, '--log-level', 'info'], { stdio: ['ignore', log, log], cwd: dir });
  closeSync(log);
  const logTail = (): string => readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n');

  const ctrRaw = (args: string[]): ReturnType<typeof spawnSync> => spawnSync('ctr', ['--address', address, ...args], { encoding: 'utf8' });

  const stop = (): Promise<void> => stopDaemon(child, dir);

  try {
    for (let waited = 0; ; waited += 50) {
      if (exited(child)) throw new Error(`containerd exited (${child.exitCode ?? child.signalCode}) before answering:\n${logTail()}`);
      if (ctrRaw(['version']).status === 0) break;
      if (waited > READY_TIMEOUT_MS) throw new Error(`containerd did not answer on ${address} within ${READY_TIMEOUT_MS} ms:\n${logTail()}`);
      await sleep(50);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const ctr = (namespace: string, args: string[]): string => {
    const r = spawnSync('ctr', ['--address', address, '--namespace', namespace, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ctr ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}\ncontainerd log:\n${logTail()}`);
    return r.stdout;
  };

  const withImageMounted = <T>(namespace: string, ref: string, fn: (rootfs: string) => T): T => {
    const rootfs = mkdtempSync(join(dir, 'mnt-'));
    ctr(namespace, ['images', 'mount', '--snapshotter', 'overlayfs', ref, rootfs]);
    try {
      return fn(rootfs);
    } finally {
      ctr(namespace, ['images', 'unmount', '--rm', rootfs]);
      rmdirSync(rootfs);
    }
  };

  return { dir, address, ctr, withImageMounted, stop };
}
