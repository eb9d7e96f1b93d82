// A private containerd 2.x (fetched into .tools by `make deps`) whose only differ is `overlaydiff serve`, both started and stopped by the test.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTAINERD2_DISABLED_PLUGINS, daemonConfigLines, toml } from '../../fixtures/containerd-config.js';
import { exited, stopDaemon, waitForExit } from './containerd.js';
import { REPO } from './overlay.js';
import { whyUnavailable } from './preflight.js';

const BIN = join(REPO, '.tools/containerd/usr/bin');
export const CONTAINERD2 = join(BIN, 'containerd');
export const CTR2 = join(BIN, 'ctr');
const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const READY_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 5_000;

/** Why containerd 2 cannot run here (no root or overlay, not fetched, too old), or undefined when it can. */
export function whyContainerd2Unavailable(): string | undefined {
  const reason = whyUnavailable('trusted');
  if (reason !== undefined) return reason;
  if (!existsSync(CONTAINERD2)) return `${CONTAINERD2} is missing: run \`make deps\` (native-tests/harness/fetch-tool.sh)`;
  const r = spawnSync(CONTAINERD2, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return `${CONTAINERD2} --version failed: ${r.stderr}`;
  if (!/ v?[2-9]\.\d+\.\d+/.test(r.stdout)) return `${CONTAINERD2} is not containerd >= 2: ${r.stdout.trim()}`;
  return undefined;
}

/** True when the tests should run; under CI=true a missing containerd 2 is a failure, never a skip. */
export function canRunContainerd2(): boolean {
  const reason = whyContainerd2Unavailable();
  if (reason === undefined) return true;
  if (process.env['CI'] === 'true') throw new Error(`containerd 2 tests cannot run under CI: ${reason}`);
  console.warn(`skipping containerd 2 tests: ${reason}`);
  return false;
}

function configFor(dir: string, address: string, differAddress: string, differs: readonly string[], unpackDiffer: string): string {
  return [
    ...daemonConfigLines(3, dir, address, CONTAINERD2_DISABLED_PLUGINS),
    '[proxy_plugins.overlaydiff]',
    '  type = "diff"',
    `  address = ${toml(differAddress)}`,
    '[plugins."io.containerd.service.v1.diff-service"]',
    `  default = ${JSON.stringify(differs)}`,
    '[[plugins."io.containerd.transfer.v1.local".unpack_config]]',
    '  platform = "linux/amd64"',
    '  snapshotter = "overlayfs"',
    `  differ = ${toml(unpackDiffer)}`,
    '',
  ].join('\n');
}

export interface Containerd2Options {
  /** The diff service's differs, in order. Default: overlaydiff alone. */
  readonly differs?: readonly string[];
  /** The transfer service's unpack differ. Default: overlaydiff. */
  readonly unpackDiffer?: string;
  /** Extra `overlaydiff serve` arguments. */
  readonly serveArgs?: readonly string[];
}

export interface Containerd2 {
  readonly dir: string;
  readonly address: string;
  readonly differAddress: string;
  /** Runs ctr in `namespace`; stdout as bytes; throws with stderr on failure. */
  ctrBytes(namespace: string, args: readonly string[]): Buffer;
  ctr(namespace: string, args: readonly string[]): string;
  /** Runs ctr without checking the status. */
  ctrRaw(namespace: string, args: readonly string[]): SpawnSyncReturns<string>;
  /** Starts ctr in the background. */
  ctrAsync(namespace: string, args: readonly string[]): Promise<{ status: number | null; stdout: Buffer; stderr: string }>;
  /** The differ's JSON log lines so far. */
  differLog(): Array<Record<string, unknown>>;
  differProcess(): ChildProcess | undefined;
  /** Starts `overlaydiff serve` (again), with `extraArgs` after the configured ones. */
  startDiffer(extraArgs?: readonly string[]): Promise<void>;
  /** Sends `signal` to the differ and waits for it to exit. */
  stopDiffer(signal?: NodeJS.Signals): Promise<void>;
  logTail(): string;
  /** Stops the differ and containerd, unmounts what is left, removes the directory. */
  stop(): Promise<void>;
}

/** Starts `overlaydiff serve` and containerd 2 in a fresh temp dir, and waits until ctr lists the overlaydiff plugin. */
export async function startContainerd2(options: Containerd2Options = {}): Promise<Containerd2> {
  const dir = mkdtempSync(join(tmpdir(), 'overlaydiff-containerd2-'));
  const address = join(dir, 'containerd.sock');
  const differAddress = join(dir, 'differ', 'differ.sock');
  const configPath = join(dir, 'config.toml');
  const logPath = join(dir, 'containerd.log');
  const differLogPath = join(dir, 'differ.log');
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(configPath, configFor(dir, address, differAddress, options.differs ?? ['overlaydiff'], options.unpackDiffer ?? 'overlaydiff'));
  const logTail = (): string =>
    `containerd log:\n${readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n')}\ndiffer log:\n${existsSync(differLogPath) ? readFileSync(differLogPath, 'utf8').split('\n').slice(-10).join('\n') : ''}`;

  let differ: ChildProcess | undefined;
  // A stale socket of a killed differ stays until the next one replaces it: wait for the log line.
  const listening = (): boolean =>
    existsSync(differLogPath) &&
    readFileSync(differLogPath, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"msg":"serving"')).length > servingLines;
  let servingLines = 0;
  const startDiffer = async (extraArgs: readonly string[] = []): Promise<void> => {
    const log = openSync(differLogPath, 'a');
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--address', differAddress, '--containerd-address', address, '--shutdown-timeout', '2s', ...(options.serveArgs ?? []), ...extraArgs],
      {
        stdio: ['ignore', log, log],
      },
    );
    closeSync(log);
    differ = child;
    servingLines = existsSync(differLogPath)
      ? readFileSync(differLogPath, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"msg":"serving"')).length
      : 0;
    for (let waited = 0; !listening(); waited += 20) {
      if (exited(child)) throw new Error(`overlaydiff serve exited (${child.exitCode ?? child.signalCode}):\n${logTail()}`);
      if (waited > READY_TIMEOUT_MS) throw new Error(`overlaydiff serve did not listen on ${differAddress}:\n${logTail()}`);
      await sleep(20);
    }
  };
  const stopDiffer = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const child = differ;
    if (child === undefined || exited(child)) return;
    child.kill(signal);
    if (!(await waitForExit(child, STOP_GRACE_MS * 2))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_GRACE_MS);
    }
  };

  const log = openSync(logPath, 'a');
  const containerd = spawn(CONTAINERD2, ['--config', configPath, '--log-level', 'info'], { stdio: ['ignore', log, log], cwd: dir });
  closeSync(log);

  const ctrRaw = (namespace: string, args: readonly string[]): SpawnSyncReturns<string> =>
    spawnSync(CTR2, ['--address', address, '--namespace', namespace, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const ctrBytes = (namespace: string, args: readonly string[]): Buffer => {
    const r = spawnSync(CTR2, ['--address', address, '--namespace', namespace, ...args], { maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`ctr ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.toString()}\n${logTail()}`);
    return r.stdout;
  };
  const ctr = (namespace: string, args: readonly string[]): string => ctrBytes(namespace, args).toString('utf8');
  const ctrAsync = (namespace: string, args: readonly string[]): Promise<{ status: number | null; stdout: Buffer; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(CTR2, ['--address', address, '--namespace', namespace, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr: err }));
    });

  const stop = async (): Promise<void> => {
    await stopDiffer();
    await stopDaemon(containerd, dir);
  };

  try {
    await startDiffer();
    for (let waited = 0; ; waited += 50) {
      if (exited(containerd)) throw new Error(`containerd exited (${containerd.exitCode ?? containerd.signalCode}) before answering:\n${logTail()}`);
      const r = ctrRaw('default', ['plugins', 'ls']);
      if (r.status === 0) {
        if (!/io\.containerd\.differ\.v1\s+overlaydiff\s+\S+\s+ok/.test(r.stdout))
          throw new Error(`containerd did not load the overlaydiff plugin:\n${r.stdout}\n${logTail()}`);
        break;
      }
      if (waited > READY_TIMEOUT_MS) throw new Error(`containerd did not answer on ${address} within ${READY_TIMEOUT_MS} ms:\n${logTail()}`);
      await sleep(50);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const differLog = (): Array<Record<string, unknown>> =>
    existsSync(differLogPath)
      ? readFileSync(differLogPath, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];
  return { dir, address, differAddress, ctrBytes, ctr, ctrRaw, ctrAsync, differLog, differProcess: () => differ, startDiffer, stopDiffer, logTail, stop };
}
