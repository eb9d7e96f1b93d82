#!/usr/bin/env node
// `make bench` (second part): times `ctr snapshots diff` through `overlaydiff serve` against containerd's
// built-in `walking` differ on the same snapshots of one private containerd 2.x (fetched into .tools by
// `make deps`), in the same run, and prints the ratios. containerd is restarted between the two with
// the diff service's differ switched; the snapshots stay. Asserts no timings.
//
// Run it inside `unshare --mount --propagation private --pid --fork --mount-proc` (the Makefile does):
// every mount and process dies with that namespace. Environment: BENCH_SCALE (default 1: a
// 100,000-file lower, 10 changed files; 1 GiB of new data), BENCH_RUNS (default 3), BENCH_TMPDIR,
// BENCH_DIFFER_LOG=1 (print the differ's JSON log: its own time per call, without ctr's).
import { spawn, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'dist', 'cli', 'main.js');
const BIN = join(REPO, '.tools', 'containerd', 'usr', 'bin');
const MiB = 1 << 20;
const NS = 'bench';
const TAR = 'application/vnd.oci.image.layer.v1.tar';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const runs = Number(process.env.BENCH_RUNS ?? '3');
if (!(scale > 0) || !Number.isInteger(runs) || runs < 1) throw new Error('BENCH_SCALE must be > 0 and BENCH_RUNS a whole number ≥ 1');
if (!existsSync(join(BIN, 'containerd'))) throw new Error(`${BIN}/containerd is missing: run \`make deps\``);
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`make build\``);
const sizes = { lowerFiles: Math.round(100_000 * scale), lowerDirs: Math.max(1, Math.round(1000 * scale)), bigFiles: 8, bigFileBytes: Math.max(MiB, Math.round(128 * MiB * scale)) };

const root = mkdtempSync(join(process.env.BENCH_TMPDIR ?? os.tmpdir(), 'overlaydiff-bench-containerd-'));
const address = join(root, 'containerd.sock');
const differAddress = join(root, 'differ.sock');
let containerd;
let differ;

function must(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}: ${r.stderr}`);
  return r.stdout;
}
const ctr = (args) => must(join(BIN, 'ctr'), ['--address', address, '--namespace', NS, ...args]);

function config(differ) {
  return `version = 3
root = ${JSON.stringify(join(root, 'root'))}
state = ${JSON.stringify(join(root, 'state'))}
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime", "io.containerd.nri.v1.nri", "io.containerd.internal.v1.opt", "io.containerd.internal.v1.restart"]
[grpc]
  address = ${JSON.stringify(address)}
[ttrpc]
  address = ${JSON.stringify(`${address}.ttrpc`)}
[proxy_plugins.overlaydiff]
  type = "diff"
  address = ${JSON.stringify(differAddress)}
[plugins."io.containerd.service.v1.diff-service"]
  default = [${JSON.stringify(differ)}]
`;
}

async function startContainerd(differName) {
  writeFileSync(join(root, 'config.toml'), config(differName));
  const log = openSync(join(root, 'containerd.log'), 'a');
  containerd = spawn(join(BIN, 'containerd'), ['--config', join(root, 'config.toml')], { stdio: ['ignore', log, log] });
  closeSync(log);
  for (let i = 0; spawnSync(join(BIN, 'ctr'), ['--address', address, 'version']).status !== 0; i++) {
    if (i > 300) throw new Error('containerd did not start');
    await sleep(50);
  }
}

async function stop(child) {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([gone, sleep(10_000).then(() => child.kill('SIGKILL'))]);
  await gone;
}

function snapshotDir(key) {
  const line = ctr(['snapshots', 'mounts', '/T', key]).trim();
  const m = /^mount -t (\S+) (\S+) \/T -o (\S+)$/.exec(line);
  return { type: m[1], source: m[2], options: m[3] };
}

function withMounted(key, fn) {
  const { type, source, options } = snapshotDir(key);
  const target = mkdtempSync(join(root, 'mnt-'));
  must('mount', ['-t', type, source, target, '-o', options]);
  try {
    fn(target);
  } finally {
    must('umount', [target]);
  }
}

function buildSnapshots() {
  ctr(['snapshots', 'prepare', 'lower-a', '']);
  withMounted('lower-a', (dir) => {
    const text = 'x'.repeat(200);
    for (let d = 0; d < sizes.lowerDirs; d++) mkdirSync(join(dir, `d${d}`));
    for (let f = 0; f < sizes.lowerFiles; f++) writeFileSync(join(dir, `d${f % sizes.lowerDirs}`, `f${f}`), text);
  });
  ctr(['snapshots', 'commit', 'lower', 'lower-a']);
  ctr(['snapshots', 'prepare', 'small', 'lower']);
  withMounted('small', (dir) => {
    for (let i = 0; i < 10; i++) appendFileSync(join(dir, `d${i % sizes.lowerDirs}`, `f${i}`), 'changed through the overlay\n');
  });
  ctr(['snapshots', 'prepare', 'big', 'lower']);
  withMounted('big', (dir) => {
    mkdirSync(join(dir, 'new'));
    const chunk = Buffer.allocUnsafe(MiB);
    for (let i = 0; i < sizes.bigFiles; i++) {
      const fd = openSync(join(dir, 'new', `blob-${i}.bin`), 'w');
      for (let left = sizes.bigFileBytes; left > 0; left -= chunk.length) writeSync(fd, randomFillSync(chunk), 0, Math.min(left, chunk.length));
      closeSync(fd);
    }
  });
}

const CASES = [
  ['10 changed files over the lower', 'small', TAR],
  ['10 changed files over the lower', 'small', `${TAR}+gzip`],
  [`${((sizes.bigFiles * sizes.bigFileBytes) / 2 ** 30).toFixed(2)} GiB of new data`, 'big', TAR],
  [`${((sizes.bigFiles * sizes.bigFileBytes) / 2 ** 30).toFixed(2)} GiB of new data`, 'big', `${TAR}+gzip`],
];

function timeCase(key, mediaType) {
  const secs = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    // ctr reads the blob back and writes it to stdout: the same work for both differs.
    must('bash', ['-c', `"$0" --address "$1" --namespace ${NS} snapshots diff --media-type "$2" "$3" | cat > /dev/null`, join(BIN, 'ctr'), address, mediaType, key]);
    secs.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return secs.sort((a, b) => a - b)[Math.floor((runs - 1) / 2)];
}

try {
  console.log(`containerd differ bench — ${new Date().toISOString()}; scale ${scale}, median of ${runs}; ${must(join(BIN, 'containerd'), ['--version']).trim()}`);
  const log = openSync(join(root, 'differ.log'), 'a');
  differ = spawn(process.execPath, [CLI, 'serve', '--address', differAddress, '--containerd-address', address], { stdio: ['ignore', log, log] });
  closeSync(log);
  await startContainerd('overlaydiff');
  buildSnapshots();
  // Written data must not be flushed during the first differ's runs only.
  must('sync', []);
  const results = new Map();
  for (const differName of ['overlaydiff', 'walking']) {
    if (differName === 'walking') {
      await stop(containerd);
      await startContainerd('walking');
    }
    for (const [, key, mediaType] of CASES) results.set(`${differName} ${key} ${mediaType}`, timeCase(key, mediaType));
  }
  const rows = [['case', 'media type', 'overlaydiff s', 'walking s', 'ratio']];
  for (const [what, key, mediaType] of CASES) {
    const o = results.get(`overlaydiff ${key} ${mediaType}`);
    const w = results.get(`walking ${key} ${mediaType}`);
    rows.push([what, mediaType.replace('application/vnd.oci.image.layer.v1.', ''), o.toFixed(3), w.toFixed(3), `${(o / w).toFixed(2)}×`]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [n, r] of rows.entries()) {
    console.log(r.map((c, i) => (i <= 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log('`ctr snapshots diff KEY | cat`, wall time including ctr reading the blob back; ratio = overlaydiff / walking (lower is better).');
  if (process.env.BENCH_DIFFER_LOG === '1') console.log(readFileSync(join(root, 'differ.log'), 'utf8'));
} finally {
  await stop(differ);
  await stop(containerd);
  rmSync(root, { recursive: true, force: true });
}
