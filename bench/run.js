#!/usr/bin/env node
// `make bench`: times overlaydiff against GNU tar baselines in the same run, on upperdirs made by a
// real overlay mount, and prints wall time, ratio to the baseline, throughput and peak RSS.
//
// It asserts no timings: it exits 0 when every command ran and every layer checked out, 1 otherwise.
// Needs root (mount -t overlay). Every mount is made inside `unshare --mount --propagation private`
// by a child process of this script, so a mount dies with that child and none can outlive the run.
// Everything it creates lives in one temp dir, removed at the end, on error, and on SIGINT/SIGTERM.
//
// Environment:
//   BENCH_SCALE   size factor (default 1: a 100,000-file lower and ~1 GiB of new data; 0.1 for a quick run)
//   BENCH_RUNS    timed runs of each command (default 3); the table shows the best and the median
//   BENCH_TMPDIR  where to make the temp dir (default: os.tmpdir()); needs ~2.5 GiB × scale free
//   BENCH_LIBRARY_RSS=1  measure peak RSS with the library wrapper even when GNU time is there
import { spawn, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import {
  appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync,
  rmSync, writeFileSync, writeSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const REPO = resolve(dirname(SELF), '..');
const CLI = join(REPO, 'dist', 'cli', 'main.js');
const LIBRARY = join(REPO, 'dist', 'index.js');
const MiB = 1 << 20;

// The tree sizes at BENCH_SCALE=1; the 10 changed lower files do not scale.
const FULL = {
  lowerFiles: 100_000,
  lowerDirs: 1_000,
  bigFiles: 8,
  bigFileBytes: 128 * MiB,
  smallNewFiles: 5_000,
  smallNewPerDir: 50,
  changedFiles: 10,
};

// ---------------------------------------------------------------------------------------------
// Child mode: `unshare --mount --propagation private node run.js --make-upper JSON` mounts the
// overlay, makes the changes through the merged view, and unmounts (the namespace dies with it).

if (process.argv[2] === '--make-upper') {
  makeUpperInNamespace(JSON.parse(process.argv[3] ?? '{}'));
  process.exit(0);
}

function makeUpperInNamespace(job) {
  const { lower, upper, work, merged, sizes, withNewData } = job;
  const options = `lowerdir=${lower},upperdir=${upper},workdir=${work},index=off,metacopy=off,redirect_dir=off`;
  mustRun('mount', ['-t', 'overlay', 'overlay', '-o', options, merged]);
  try {
    // Appending through the mount copies each file (and its parent dirs) up into the upperdir.
    for (const rel of changedFilePaths(sizes)) appendFileSync(join(merged, rel), 'changed through the overlay\n');
    if (withNewData) writeNewData(merged, sizes);
  } finally {
    mustRun('umount', [merged]);
  }
}

function writeNewData(merged, sizes) {
  const big = join(merged, 'new', 'big');
  mkdirSync(big, { recursive: true });
  // Fresh random bytes for every chunk: gzip finds nothing to squeeze, as in already-compressed payloads.
  const chunk = Buffer.allocUnsafe(MiB);
  for (let i = 0; i < sizes.bigFiles; i++) {
    const fd = openSync(join(big, `blob-${i}.bin`), 'w');
    try {
      for (let left = sizes.bigFileBytes; left > 0; left -= chunk.length) {
        randomFillSync(chunk);
        writeSync(fd, chunk, 0, Math.min(left, chunk.length));
      }
    } finally {
      closeSync(fd);
    }
  }
  const random = prng(2);
  for (let i = 0; i < sizes.smallNewFiles; i++) {
    const dir = join(merged, 'new', 'small', `d${String(Math.floor(i / sizes.smallNewPerDir)).padStart(4, '0')}`);
    if (i % sizes.smallNewPerDir === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.txt`), textOfSize(`new ${i}`, 100 + Math.floor(random() * 8000)));
  }
}

// ---------------------------------------------------------------------------------------------
// Parent mode.

const active = new Set(); // child processes running now, each the leader of its own process group
let root; // the temp dir; everything the bench makes is below it
let interrupted = false;

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}: stopping, cleaning up\n`);
    for (const child of active) killGroup(child);
    // The main flow sees its child die, throws, and cleans up in its finally; this is the backstop.
    setTimeout(() => {
      cleanUp();
      process.exit(130);
    }, 5000).unref();
  });
}

try {
  await main();
  cleanUp();
  process.exitCode = 0;
} catch (err) {
  process.stderr.write(`bench: FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
  cleanUp();
  process.exitCode = interrupted ? 130 : 1;
}

async function main() {
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  if (!(scale > 0)) throw new Error(`BENCH_SCALE must be a positive number, not ${process.env.BENCH_SCALE}`);
  const runs = Number(process.env.BENCH_RUNS ?? '3');
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be a whole number ≥ 1, not ${process.env.BENCH_RUNS}`);
  if (process.getuid?.() !== 0) throw new Error('needs root: it makes real overlay mounts (inside a private mount namespace)');
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`make build\` first`);
  const sizes = scaled(scale);
  const rssMode = chooseRssMode();

  root = mkdtempSync(join(process.env.BENCH_TMPDIR ?? os.tmpdir(), 'overlaydiff-bench-'));
  const dirs = {
    lower: join(root, 'lower'),
    fullUpper: join(root, 'full', 'upper'),
    smallUpper: join(root, 'small', 'upper'),
    out: join(root, 'out'),
  };
  mkdirSync(dirs.out);

  printMachine(scale, runs, sizes, rssMode);
  let t = Date.now();
  await buildLower(dirs.lower, sizes);
  log(`built the lower: ${sizes.lowerFiles} files in ${sizes.lowerDirs} dirs (${secondsSince(t)} s)`);
  t = Date.now();
  await makeUpper(join(root, 'full'), dirs.lower, sizes, true);
  log(`made the full upper through an overlay mount: ${sizes.changedFiles} changed lower files, ` +
    `${sizes.bigFiles} × ${fmtMiB(sizes.bigFileBytes)} random files, ${sizes.smallNewFiles} small files (${secondsSince(t)} s)`);
  t = Date.now();
  await makeUpper(join(root, 'small'), dirs.lower, sizes, false);
  log(`made the small upper through an overlay mount: ${sizes.changedFiles} changed lower files only (${secondsSince(t)} s)`);

  // The page cache cannot be dropped reliably here, so every run is warm: read everything once now.
  t = Date.now();
  for (const dir of [dirs.lower, dirs.fullUpper, dirs.smallUpper]) await sh(`tar -cf - -C ${q(dir)} . | cat > /dev/null`);
  log(`warmed the page cache by reading all three trees once (${secondsSince(t)} s); runs are NOT cold-cache`);

  // One untimed run per upper: checks the layer and gives the byte count throughput is based on.
  const reference = {
    full: await checkLayer('full', dirs.fullUpper, dirs.lower, dirs.out, sizes, rssMode),
    small: await checkLayer('small', dirs.smallUpper, dirs.lower, dirs.out, sizes, rssMode),
  };

  const odFile = (upper, compression) => (i) =>
    overlaydiff({ upper, lower: dirs.lower, output: join(dirs.out, `layer-${i}`), compression, rssMode });
  const odStdout = (upper) => () => overlaydiff({ upper, lower: dirs.lower, output: '-', compression: 'none', rssMode });
  const shell = (command) => () => timed(() => sh(command));
  const F = q(dirs.fullUpper);
  const cases = [
    { id: 'a', name: 'overlaydiff, tar to a file (fsync)', upper: 'full', compression: 'none', run: odFile(dirs.fullUpper, 'none'), vs: 'b' },
    { id: 'a2', name: 'overlaydiff, tar to stdout | cat', upper: 'full', compression: 'none', run: odStdout(dirs.fullUpper), vs: 'b' },
    { id: 'b', name: 'baseline: tar -cf - | cat', upper: 'full', run: shell(`tar -cf - -C ${F} . | cat > /dev/null`) },
    { id: 'c', name: 'overlaydiff --compression gzip (L6), file', upper: 'full', compression: 'gzip', run: odFile(dirs.fullUpper, 'gzip'), vs: 'd' },
    { id: 'd', name: 'baseline: tar | gzip -6 | cat', upper: 'full', run: shell(`tar -cf - -C ${F} . | gzip -6 | cat > /dev/null`) },
    // Two pigz threads: the parallel gzip that overlaydiff's own matches on the 2-core target.
    ...(hasPigz() ? [{ id: 'd2', name: 'baseline: tar | pigz -6 -p 2 | cat', upper: 'full', run: shell(`tar -cf - -C ${F} . | pigz -6 -p 2 | cat > /dev/null`) }] : []),
    { id: 'e', name: `overlaydiff, ${sizes.changedFiles} changes above the lower, file`, upper: 'small', compression: 'none', run: odFile(dirs.smallUpper, 'none'), vs: 'e2' },
    { id: 'e2', name: 'baseline: tar -cf - | cat of that upper', upper: 'small', run: shell(`tar -cf - -C ${q(dirs.smallUpper)} . | cat > /dev/null`) },
    { id: 'f', name: 'for scale: stat-only walk of the lower (tar -cf /dev/null)', upper: 'lower', run: shell(`tar -cf /dev/null -C ${q(dirs.lower)} .`) },
    { id: 'g', name: 'for scale: overlaydiff --version (node start-up)', upper: 'lower', run: shell(`${q(process.execPath)} ${q(CLI)} --version > /dev/null`) },
  ];

  // Round-robin over the cases so drift (writeback, thermal, neighbours) spreads over all of them.
  const results = new Map(cases.map((c) => [c.id, []]));
  for (let i = 0; i < runs; i++) {
    for (const c of cases) {
      const r = await c.run(i);
      if (c.compression !== undefined) checkDescriptor(c, r.descriptor, reference[c.upper]);
      results.get(c.id).push(r);
      rmSync(join(dirs.out, `layer-${i}`), { force: true });
    }
    log(`run ${i + 1}/${runs} done`);
  }
  printTable(cases, results, reference);
  assertNoMountsBelow(root);
}

function hasPigz() {
  return spawnSync('pigz', ['--version']).status === 0;
}

// ---------------------------------------------------------------------------------------------
// Building the trees.

function scaled(scale) {
  const n = (x, min = 1) => Math.max(min, Math.round(x * scale));
  return {
    lowerFiles: n(FULL.lowerFiles, FULL.changedFiles),
    lowerDirs: n(FULL.lowerDirs),
    bigFiles: FULL.bigFiles,
    bigFileBytes: n(FULL.bigFileBytes),
    smallNewFiles: n(FULL.smallNewFiles),
    smallNewPerDir: FULL.smallNewPerDir,
    changedFiles: FULL.changedFiles,
  };
}

// lower/gNN/dNNNN/fNNNNNN.txt: ~32 dirs per group, files spread evenly, 0–2 KiB of text each.
function lowerFilePath(sizes, i) {
  const d = i % sizes.lowerDirs;
  return join(`g${String(Math.floor(d / 32)).padStart(2, '0')}`, `d${String(d).padStart(4, '0')}`, `f${String(i).padStart(6, '0')}.txt`);
}

// Yields to the event loop now and then so that SIGINT is handled promptly.
async function buildLower(lower, sizes) {
  for (let d = 0; d < sizes.lowerDirs; d++) mkdirSync(join(lower, dirname(lowerFilePath(sizes, d))), { recursive: true });
  const random = prng(1);
  for (let i = 0; i < sizes.lowerFiles; i++) {
    writeFileSync(join(lower, lowerFilePath(sizes, i)), textOfSize(`lower ${i}`, Math.floor(random() * 2048)));
    if (i % 256 === 0) {
      await new Promise(setImmediate);
      if (interrupted) throw new Error('interrupted');
    }
  }
}

function changedFilePaths(sizes) {
  const step = Math.floor(sizes.lowerFiles / sizes.changedFiles);
  return Array.from({ length: sizes.changedFiles }, (_, k) => lowerFilePath(sizes, k * step + 7));
}

async function makeUpper(base, lower, sizes, withNewData) {
  const job = { lower, upper: join(base, 'upper'), work: join(base, 'work'), merged: join(base, 'merged'), sizes, withNewData };
  for (const dir of [job.upper, job.work, job.merged]) mkdirSync(dir, { recursive: true });
  await run('unshare', ['--mount', '--propagation', 'private', process.execPath, SELF, '--make-upper', JSON.stringify(job)]);
}

function textOfSize(seed, size) {
  const line = `${seed}: the quick brown fox jumps over the lazy dog 0123456789\n`;
  return line.repeat(Math.ceil(size / line.length) || 0).slice(0, size);
}

// mulberry32: a small seeded PRNG, so the trees are the same on every run.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// Running and measuring.

function chooseRssMode() {
  if (process.env.BENCH_LIBRARY_RSS !== '1' && existsSync('/usr/bin/time')) {
    const probe = spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { encoding: 'utf8' });
    if (probe.status === 0 && /^\d+\s*$/.test(probe.stderr)) return 'gnu-time';
  }
  return 'library';
}

/** One overlaydiff run: wall time, descriptor, peak RSS in KiB. `output` '-' pipes the tar through cat. */
async function overlaydiff({ upper, lower, output, compression, rssMode }) {
  const report = join(root, 'out', 'report');
  rmSync(report, { force: true });
  let command;
  if (rssMode === 'gnu-time') {
    const args = ['diff', '--upper', upper, '--lower', lower, '--compression', compression, '-o', output, '--json'];
    command = `/usr/bin/time -f %M -o ${q(report)} ${q(process.execPath)} ${q(CLI)} ${args.map(q).join(' ')}`;
  } else {
    // The library in a tiny wrapper: process.resourceUsage().maxRSS is the peak RSS in KiB.
    const code = `
      import { writeFileSync } from 'node:fs';
      const { diff } = await import(${JSON.stringify(pathToFileURL(LIBRARY).href)});
      const [upper, lower, output, compression, report] = process.argv.slice(1);
      const descriptor = await diff({ upper, lowers: [lower], output: output === '-' ? process.stdout : output, compression });
      writeFileSync(report, JSON.stringify({ descriptor, maxRSS: process.resourceUsage().maxRSS }));`;
    command = `${q(process.execPath)} --input-type=module -e ${q(code)} ${[upper, lower, output, compression, report].map(q).join(' ')}`;
  }
  if (output === '-') command += ' | cat > /dev/null';
  const { seconds, result } = await timed(() => sh(command));
  const text = readFileSync(report, 'utf8');
  if (rssMode === 'gnu-time') {
    const lines = text.trim().split('\n');
    const json = output === '-' ? result.stderr : result.stdout;
    // diff --json: {descriptor, diffID, stats}; flattened to the library's descriptor shape.
    const report = JSON.parse(json.slice(json.indexOf('{'), json.lastIndexOf('}') + 1));
    return { seconds, descriptor: { ...report.descriptor, diffID: report.diffID, stats: report.stats }, rssKiB: Number(lines.at(-1)) };
  }
  const { descriptor, maxRSS } = JSON.parse(text);
  return { seconds, descriptor, rssKiB: maxRSS };
}

async function timed(fn) {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, result };
}

function sh(command) {
  return run('/bin/bash', ['-o', 'pipefail', '-c', command]);
}

/** Runs a command in its own process group (so an interrupt can end the whole pipeline); rejects on failure. */
function run(file, args) {
  return new Promise((resolvePromise, reject) => {
    if (interrupted) return reject(new Error('interrupted'));
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    active.add(child);
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    child.on('error', (e) => {
      active.delete(child);
      reject(e);
    });
    child.on('close', (status, signal) => {
      active.delete(child);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (status === 0) return resolvePromise({ stdout, stderr });
      const what = signal === null ? `exit status ${status}` : `signal ${signal}`;
      reject(new Error(`${[file, ...args].join(' ').slice(0, 300)}: ${what}\n${stderr.trim().slice(-2000)}`));
    });
  });
}

function mustRun(file, args) {
  const r = spawnSync(file, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: exit status ${r.status ?? r.signal}`);
}

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

// ---------------------------------------------------------------------------------------------
// Checks: the layer is a tar GNU tar reads, and every run of an upper gives the same diffID.

async function checkLayer(label, upper, lower, outDir, sizes, rssMode) {
  const output = join(outDir, `check-${label}.tar`);
  const { descriptor } = await overlaydiff({ upper, lower, output, compression: 'none', rssMode });
  const listed = (await run('tar', ['-tf', output])).stdout.split('\n').filter((l) => l !== '').length;
  const fileCount = countFiles(upper);
  rmSync(output, { force: true });
  if (listed !== descriptor.stats.entries) {
    throw new Error(`${label} layer: GNU tar lists ${listed} members, overlaydiff reported ${descriptor.stats.entries}`);
  }
  const expectedFiles = label === 'full' ? sizes.changedFiles + sizes.bigFiles + sizes.smallNewFiles : sizes.changedFiles;
  if (fileCount !== expectedFiles) throw new Error(`${label} upper has ${fileCount} files, expected ${expectedFiles}`);
  log(`checked the ${label} layer: ${descriptor.stats.entries} members (GNU tar agrees), ` +
    `${fmtSize(descriptor.size)} tar, ${fileCount} files in the upper, diffID ${descriptor.diffID.slice(0, 19)}…`);
  return descriptor;
}

function checkDescriptor(c, descriptor, reference) {
  if (descriptor.diffID !== reference.diffID) {
    throw new Error(`case ${c.id}: diffID ${descriptor.diffID} differs from the first run's ${reference.diffID} (not deterministic)`);
  }
  if (c.compression === 'none' && descriptor.size !== reference.size) throw new Error(`case ${c.id}: tar size changed between runs`);
}

function countFiles(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countFiles(join(dir, e.name));
    else n += 1;
  }
  return n;
}

function assertNoMountsBelow(dir) {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(dir));
  if (mounts.length > 0) throw new Error(`mounts left below ${dir}: ${mounts.join(', ')}`);
}

function cleanUp() {
  if (root === undefined) return;
  const dir = root;
  root = undefined;
  try {
    assertNoMountsBelow(dir); // never recurse into a mounted lower
    rmSync(dir, { recursive: true, force: true });
  } catch (err) {
    process.stderr.write(`bench: could not remove ${dir}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Output.

function printMachine(scale, runs, sizes, rssMode) {
  const version = (cmd) => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? '?';
  const cpu = os.cpus();
  console.log(`overlaydiff bench — ${new Date().toISOString()}`);
  console.log(`machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${os.release()}, ` +
    `node ${process.version}, ${version('tar')}, ${version('gzip')}`);
  console.log(`scale ${scale} (BENCH_SCALE), ${runs} timed runs per command (BENCH_RUNS), temp dir on ${fsType(process.env.BENCH_TMPDIR ?? os.tmpdir())}`);
  console.log(`peak RSS: ${rssMode === 'gnu-time' ? '/usr/bin/time -f %M around the CLI' : 'process.resourceUsage().maxRSS in a library wrapper'}`);
  console.log(`sizes: lower ${sizes.lowerFiles} files / ${sizes.lowerDirs} dirs; new data ${sizes.bigFiles} × ${fmtMiB(sizes.bigFileBytes)} + ${sizes.smallNewFiles} small files`);
  if (!hasPigz()) console.log('case d2 skipped: pigz is not installed (Debian package "pigz")');
}

function fsType(dir) {
  const r = spawnSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', dir], { encoding: 'utf8' });
  return r.status === 0 ? `${r.stdout.trim()} (${dir})` : dir;
}

function printTable(cases, results, reference) {
  const stat = (id) => {
    const secs = results.get(id).map((r) => r.seconds).sort((x, y) => x - y);
    return { best: secs[0], median: secs[Math.floor((secs.length - 1) / 2)] };
  };
  const rows = [['case', 'command', 'best s', 'median s', 'ratio (median)', 'MB/s (median)', 'peak RSS MiB']];
  for (const c of cases) {
    const s = stat(c.id);
    const bytes = c.upper === 'lower' ? undefined : reference[c.upper].size;
    const ratio = c.vs === undefined ? '' : `${(s.median / stat(c.vs).median).toFixed(2)}× ${c.vs}`;
    const rss = results.get(c.id)[0].rssKiB === undefined ? '' : (Math.max(...results.get(c.id).map((r) => r.rssKiB)) / 1024).toFixed(0);
    const throughput = bytes === undefined || bytes < MiB ? '' : (bytes / 1e6 / s.median).toFixed(0);
    rows.push([c.id, c.name, s.best.toFixed(3), s.median.toFixed(3), ratio, throughput, rss]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log('');
  for (const [n, r] of rows.entries()) {
    console.log(r.map((cell, i) => (i <= 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  if (results.has('d2')) console.log(`c vs pigz: ${(stat('c').median / stat('d2').median).toFixed(2)}× d2 (median time ratio, lower is better)`);
  console.log('');
  console.log(`full layer: ${fmtMiB(reference.full.size)} tar, ${reference.full.stats.entries} members; ` +
    `small layer: ${fmtSize(reference.small.size)} tar, ${reference.small.stats.entries} members.`);
  console.log('MB/s = the uncompressed layer tar bytes (10^6) per second of median wall time, for every row of the full upper.');
  console.log('ratio = median overlaydiff time / median baseline time (lower is better). Wall times include node start-up.');
  console.log('All runs are warm-cache (page cache warmed once, never dropped). Every overlaydiff run gave the same diffID.');
}

function log(message) {
  console.log(`  ${message}`);
}

function secondsSince(t) {
  return ((Date.now() - t) / 1000).toFixed(1);
}

function fmtSize(bytes) {
  return bytes < MiB ? `${(bytes / 1024).toFixed(1)} KiB` : fmtMiB(bytes);
}

function fmtMiB(bytes) {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

function q(s) {
  return `'${String(s).replaceAll("'", "'\\''")}'`;
}
