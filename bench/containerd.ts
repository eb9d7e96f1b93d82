// The small diff against containerd 2.x's own `walking` differ on the same snapshots of one private
// containerd (fetched into .tools by `make deps`): `ctr snapshots diff` through `overlaydiff serve`
// (no start-up per call) and through walking, and the overlaydiff CLI on the snapshot's directories.
// containerd is restarted between the differs with the diff service's differ switched; the snapshots stay.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTAINERD2_DISABLED_PLUGINS, daemonConfigLines, toml } from '../fixtures/containerd-config.js';
import { CLI, NODE, REPO, must, q, timed } from './lib.js';
import { buildLower, smallChange } from './trees.js';

const BIN = join(REPO, '.tools', 'containerd', 'usr', 'bin');
const NS = 'bench';
const TAR = 'application/vnd.oci.image.layer.v1.tar';

export interface ContainerdTimes {
  version: string;
  walking: number[];
  serve: number[];
  cli: number[];
  /** `ctr version`: the floor of every ctr call (its own start-up and one gRPC round trip). */
  ctrFloor: number[];
}

/** Why the containerd rows cannot run, or undefined. */
export function whyNoContainerd(): string | undefined {
  if (!existsSync(join(BIN, 'containerd'))) return `${BIN}/containerd is missing: run \`make deps\``;
  return undefined;
}

class Containerd {
  readonly address: string;
  readonly differAddress: string;
  #daemon: ChildProcess | undefined;
  #differ: ChildProcess | undefined;

  constructor(readonly root: string) {
    this.address = join(root, 'containerd.sock');
    this.differAddress = join(root, 'differ.sock');
  }

  ctr(args: readonly string[]): string {
    return must(join(BIN, 'ctr'), ['--address', this.address, '--namespace', NS, ...args]);
  }

  startDiffer(): void {
    const log = openSync(join(this.root, 'differ.log'), 'a');
    this.#differ = spawn(NODE, [CLI, 'serve', '--address', this.differAddress, '--containerd-address', this.address], { stdio: ['ignore', log, log] });
    closeSync(log);
  }

  async start(differ: string): Promise<void> {
    writeFileSync(join(this.root, 'config.toml'), config(this.root, this.address, this.differAddress, differ));
    const log = openSync(join(this.root, 'containerd.log'), 'a');
    this.#daemon = spawn(join(BIN, 'containerd'), ['--config', join(this.root, 'config.toml')], { stdio: ['ignore', log, log] });
    closeSync(log);
    for (let i = 0; spawnSync(join(BIN, 'ctr'), ['--address', this.address, 'version']).status !== 0; i++) {
      if (i > 600) throw new Error(`containerd did not start (see ${join(this.root, 'containerd.log')})`);
      await sleep(50);
    }
  }

  async stopDaemon(): Promise<void> {
    await stop(this.#daemon);
    this.#daemon = undefined;
  }

  async stopAll(): Promise<void> {
    await this.stopDaemon();
    await stop(this.#differ);
  }

  /** Mounts snapshot `key` on a fresh dir, runs `fn` there, unmounts. */
  withMounted(key: string, fn: (dir: string) => Promise<void> | void): Promise<void> {
    const { type, source, options } = this.mounts(key);
    const target = mkdtempSync(join(this.root, 'mnt-'));
    must('mount', ['-t', type, source, target, '-o', options]);
    return Promise.resolve(fn(target)).finally(() => must('umount', [target]));
  }

  mounts(key: string): { type: string; source: string; options: string } {
    const line = this.ctr(['snapshots', 'mounts', '/T', key]).trim();
    const m = /^mount -t (\S+) (\S+) \/T -o (\S+)$/.exec(line);
    if (m === null) throw new Error(`unexpected ctr snapshots mounts output: ${line}`);
    return { type: m[1] ?? '', source: m[2] ?? '', options: m[3] ?? '' };
  }
}

function config(root: string, address: string, differAddress: string, differ: string): string {
  return [
    ...daemonConfigLines(3, root, address, CONTAINERD2_DISABLED_PLUGINS),
    '[proxy_plugins.overlaydiff]',
    '  type = "diff"',
    `  address = ${toml(differAddress)}`,
    '[plugins."io.containerd.service.v1.diff-service"]',
    `  default = [${toml(differ)}]`,
    '',
  ].join('\n');
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

/**
 * Builds a lower snapshot of `files` files (200 bytes each) in `dirs` directories and the small
 * change above it, then times `runs` calls of each way. Everything lives below `root`.
 */
export async function benchContainerd(
  root: string,
  files: number,
  dirs: number,
  changed: number,
  runs: number,
  log: (m: string) => void,
): Promise<ContainerdTimes> {
  mkdirSync(root, { recursive: true });
  const c = new Containerd(root);
  try {
    c.startDiffer();
    await c.start('overlaydiff');
    const version = must(join(BIN, 'containerd'), ['--version']).trim();
    let t = Date.now();
    c.ctr(['snapshots', 'prepare', 'lower-a', '']);
    await c.withMounted('lower-a', (dir) => buildLower(dir, files, dirs, false));
    c.ctr(['snapshots', 'commit', 'lower', 'lower-a']);
    c.ctr(['snapshots', 'prepare', 'small', 'lower']);
    await c.withMounted('small', (dir) => smallChange(dir, files, dirs, changed));
    must('sync', []);
    log(`containerd snapshots: ${files} lower files, then ${changed} changes + 2 deletes + 1 opaque dir (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    const opts = c.mounts('small').options.split(',');
    const upper = opts.find((o) => o.startsWith('upperdir='))?.slice('upperdir='.length);
    const lower = opts.find((o) => o.startsWith('lowerdir='))?.slice('lowerdir='.length);
    if (upper === undefined || lower === undefined) throw new Error(`small snapshot mount has no upperdir/lowerdir: ${opts.join(',')}`);
    const ctrDiff = `${q(join(BIN, 'ctr'))} --address ${q(c.address)} --namespace ${NS} snapshots diff --media-type ${q(TAR)} small | cat > /dev/null`;
    const cliDiff = `${q(NODE)} ${q(CLI)} diff --upper ${q(upper)} --lower ${q(lower)} -o ${q(join(root, 'cli-layer.tar'))}`;
    const ctrVersion = `${q(join(BIN, 'ctr'))} --address ${q(c.address)} version > /dev/null`;
    // One untimed call each: containerd's content store and the page cache are warm for every timed one.
    await timed(ctrDiff);
    await timed(cliDiff);
    const serve: number[] = [];
    const cli: number[] = [];
    const ctrFloor: number[] = [];
    for (let i = 0; i < runs; i++) {
      serve.push((await timed(ctrDiff)).seconds);
      cli.push((await timed(cliDiff)).seconds);
      ctrFloor.push((await timed(ctrVersion)).seconds);
    }
    await c.stopDaemon();
    t = Date.now();
    await c.start('walking');
    await timed(ctrDiff);
    const walking: number[] = [];
    for (let i = 0; i < runs; i++) walking.push((await timed(ctrDiff)).seconds);
    return { version, walking, serve, cli, ctrFloor };
  } finally {
    await c.stopAll();
  }
}
