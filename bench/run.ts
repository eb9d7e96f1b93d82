// `make bench`: every goal of issue #15 as a row, measured against its baseline in the same run,
// with PASS or MISS. It asserts no timing: it exits 0 when everything ran and every layer checked
// out (whatever the verdicts), 1 otherwise. Results also go to bench/results/<time>.json.
//
// Needs root: it runs inside `unshare --mount --propagation private --pid --fork --mount-proc`
// (the Makefile does that), so its overlay mounts, containerd and differ die with the namespace.
// Everything it makes lives in one temp dir, removed at the end, on error and on SIGINT/SIGTERM.
//
// Environment:
//   BENCH_SCALE   size factor (default 1: 100,000-file lower, ~1 GiB upper, 1,000,000 empty files,
//                 lowers of 10k/100k/1M files, a 9 GiB sparse file); 0.1 for a quick run
//   BENCH_RUNS    timed runs per command (default 3): the table shows medians
//   BENCH_TMPDIR  where to make the temp dir (default: os.tmpdir()); needs ~1.5 GiB × scale free
//   BENCH_ONLY    comma-separated sections: throughput,startup,containerd,s3,curve,sparse (default all)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { benchContainerd, whyNoContainerd } from './containerd.js';
import {
  CLI,
  GiB,
  MiB,
  NODE,
  REPO,
  diffReport,
  goalText,
  interruptAll,
  judge,
  log,
  measureText,
  median,
  printTable,
  q,
  sh,
  timed,
  type Goal,
  type Row,
  type Sample,
} from './lib.js';
import { buildEmptyFiles, buildLower, smallChange, spreadPaths, throughOverlay, writeNewData, writeSparse } from './trees.js';

const SECTIONS = ['throughput', 'startup', 'containerd', 's3', 'curve', 'sparse'] as const;
type Section = (typeof SECTIONS)[number];

const scale = Number(process.env['BENCH_SCALE'] ?? '1');
const runs = Number(process.env['BENCH_RUNS'] ?? '3');
const only = new Set((process.env['BENCH_ONLY'] ?? SECTIONS.join(',')).split(',').filter((s) => s !== ''));
const n = (x: number, min = 1): number => Math.max(min, Math.round(x * scale));

const sizes = {
  lowerFiles: n(100_000, 1000),
  lowerDirs: n(1000),
  changed: 10,
  newData: { bigFiles: 4, bigFileBytes: n(128 * MiB, MiB), smallFiles: n(8192), smallFileBytes: 64 * 1024, smallPerDir: 64 },
  s3Entries: n(1_000_000, 1000),
  curve: [n(10_000, 100), n(100_000, 1000), n(1_000_000, 10_000)],
  sparseBytes: n(9 * GiB, 64 * MiB),
};

let root: string | undefined;
const rows: Row[] = [];
const notes: string[] = [];

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}: stopping, cleaning up\n`);
    interruptAll();
    setTimeout(() => {
      cleanUp();
      process.exit(130);
    }, 15_000).unref();
  });
}

try {
  await main();
  cleanUp();
  process.exitCode = 0;
} catch (err) {
  process.stderr.write(`bench: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  cleanUp();
  process.exitCode = 1;
}

async function main(): Promise<void> {
  if (!(scale > 0)) throw new Error(`BENCH_SCALE must be a positive number, not ${process.env['BENCH_SCALE']}`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be a whole number ≥ 1, not ${process.env['BENCH_RUNS']}`);
  for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`BENCH_ONLY: unknown section ${s} (${SECTIONS.join(', ')})`);
  if (process.getuid?.() !== 0) throw new Error('needs root: it makes real overlay mounts (run it through `make bench`)');
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`make build\` first`);
  if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time (GNU time) is missing: apt-get install time');
  for (const tool of ['pigz', 'zstd', 'openssl'])
    if (spawnSync(tool, ['--version']).error !== undefined) throw new Error(`${tool} is missing: apt-get install ${tool}`);
  root = mkdtempSync(join(process.env['BENCH_TMPDIR'] ?? os.tmpdir(), 'overlaydiff-bench-'));
  printMachine();
  const started = Date.now();
  const want = (s: Section): boolean => only.has(s);
  if (want('throughput') || want('startup')) await throughputAndStartup(want('throughput'), want('startup'));
  if (want('containerd')) await containerdRows();
  if (want('s3') || want('curve')) await scaleRows(want('s3'), want('curve'));
  if (want('sparse')) await sparseRow();
  report(Date.now() - started);
}

// ---- rows -------------------------------------------------------------------------------------

function row(
  id: string,
  work: string,
  ours: string,
  oursSamples: Sample[],
  goal: Goal,
  baseline?: { name: string; samples: Sample[] },
  extra: Partial<Row> = {},
): Row {
  const oursSeconds = oursSamples.map((s) => s.seconds);
  const baselineSeconds = baseline?.samples.map((s) => s.seconds);
  const oursMedian = median(oursSeconds);
  const baselineMedian = baselineSeconds === undefined ? undefined : median(baselineSeconds);
  const rss = oursSamples.map((s) => s.rssKiB).filter((x): x is number => x !== undefined);
  const peakRssMiB = rss.length === 0 ? undefined : Math.max(...rss) / 1024;
  let measure = extra.measure;
  if (measure === undefined && baselineMedian !== undefined) {
    measure = goal.kind === 'speedup-at-least' ? baselineMedian / oursMedian : oursMedian / baselineMedian;
  }
  if (goal.kind === 'rss-at-most-mib') measure = peakRssMiB;
  const r: Row = {
    id,
    work,
    ours,
    oursSeconds,
    oursMedian,
    goal,
    goalText: goalText(goal),
    verdict: judge(goal, measure),
    notes: [],
    ...(baseline === undefined ? {} : { baseline: baseline.name }),
    ...(baselineSeconds === undefined ? {} : { baselineSeconds }),
    ...(baselineMedian === undefined ? {} : { baselineMedian }),
    ...(measure === undefined ? {} : { measure }),
    ...(peakRssMiB === undefined ? {} : { peakRssMiB }),
    ...extra,
  };
  rows.push(r);
  return r;
}

/** Runs each command `runs` times, round-robin, so drift (writeback, neighbours) spreads over all. */
async function roundRobin<K extends string>(commands: Record<K, () => Promise<Sample>>, count = runs): Promise<Record<K, Sample[]>> {
  const keys = Object.keys(commands) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as Sample[]])) as Record<K, Sample[]>;
  for (let i = 0; i < count; i++) for (const k of keys) out[k].push(await commands[k]());
  return out;
}

function od(args: string): string {
  return `${q(NODE)} ${q(CLI)} ${args}`;
}

async function throughputAndStartup(throughput: boolean, startup: boolean): Promise<void> {
  const base = root ?? '';
  if (throughput) {
    const lower = join(base, 'lower');
    let t = Date.now();
    await buildLower(lower, sizes.lowerFiles, sizes.lowerDirs, false);
    const upper = throughOverlay(join(base, 'full'), [lower], (merged) => {
      for (const rel of spreadPaths(sizes.lowerFiles, sizes.lowerDirs, sizes.changed)) writeFileSync(join(merged, rel), 'changed\n', { flag: 'a' });
      writeNewData(merged, sizes.newData);
    });
    const d = sizes.newData;
    log(
      `throughput upper: ${d.bigFiles} × ${(d.bigFileBytes / MiB).toFixed(0)} MiB (half random, half text) + ${d.smallFiles} × 64 KiB text, ` +
        `${sizes.changed} changed files over a ${sizes.lowerFiles}-file lower (${secondsSince(t)} s)`,
    );
    t = Date.now();
    await sh(`tar -cf - -C ${q(upper)} . | cat > /dev/null; tar -cf - -C ${q(lower)} . | cat > /dev/null`);
    log(`page cache warmed (${secondsSince(t)} s); every run is warm-cache`);
    const U = q(upper);
    const L = q(lower);
    const rss = join(base, 'rss');
    const ours = (compression: string) => async (): Promise<Sample> =>
      timed(
        od(`diff --upper ${U} --lower ${L} --compression ${compression} -o - --json`),
        ` 2> ${q(join(base, `report-${compression}`))} | cat > /dev/null`,
        rss,
      );
    const size = (what: string): Promise<Sample> => timed(`${what} | wc -c`);
    // Sizes first, untimed: the layers must be the same every run, and gzip's size is a goal.
    const sizeOf = async (compression: string): Promise<{ size: number; diffID: string }> => {
      await ours(compression)();
      const r = diffReport(readFileSync(join(base, `report-${compression}`), 'utf8'));
      return { size: r.descriptor.size, diffID: r.diffID };
    };
    const ref = { none: await sizeOf('none'), gzip: await sizeOf('gzip'), zstd: await sizeOf('zstd') };
    if (new Set([ref.none.diffID, ref.gzip.diffID, ref.zstd.diffID]).size !== 1) throw new Error('the three compressions gave different diffIDs');
    const tarOf = `tar -cf - -C ${U} .`;
    const pigzSize = Number((await size(`${tarOf} | pigz -6`)).output.stdout.trim());
    const r = await roundRobin({
      none: ours('none'),
      sha: () => timed(`${tarOf} | openssl dgst -sha256 > /dev/null`),
      gzip: ours('gzip'),
      pigz: () => timed(`${tarOf} | pigz -6 | cat > /dev/null`),
      zstd: ours('zstd'),
      zstdCli: () => timed(`${tarOf} | zstd -3 -T0 -q -c | cat > /dev/null`),
    });
    for (const c of ['none', 'gzip', 'zstd'] as const) {
      const again = diffReport(readFileSync(join(base, `report-${c}`), 'utf8'));
      if (again.diffID !== ref[c].diffID || again.descriptor.size !== ref[c].size) throw new Error(`${c}: the layer changed between runs (not deterministic)`);
    }
    const mb = ref.none.size / 1e6;
    row(
      'T1',
      `uncompressed + diffID, ${mb.toFixed(0)} MB tar`,
      'overlaydiff diff -o - | cat',
      r.none,
      { kind: 'ratio-at-most', value: 1.2 },
      { name: 'tar -cf - . | openssl dgst -sha256', samples: r.sha },
    );
    const gzipRatio = ref.gzip.size / pigzSize;
    const g = row(
      'T2',
      'gzip -6',
      'overlaydiff --compression gzip',
      r.gzip,
      { kind: 'ratio-at-most', value: 0.83 },
      { name: 'tar | pigz -6', samples: r.pigz },
    );
    g.notes.push(
      `size ${ref.gzip.size} vs pigz ${pigzSize} (${((gzipRatio - 1) * 100).toFixed(2)}%, goal within 1%: ${Math.abs(gzipRatio - 1) <= 0.01 ? 'PASS' : 'MISS'})`,
    );
    if (Math.abs(gzipRatio - 1) > 0.01) g.verdict = 'MISS';
    row('T3', 'zstd -3', 'overlaydiff --compression zstd', r.zstd, { kind: 'ratio-at-most', value: 1.0 }, { name: 'tar | zstd -3 -T0', samples: r.zstdCli });
    for (const id of ['T1', 'T2', 'T3']) {
      const x = rows.find((y) => y.id === id);
      if (x !== undefined) x.notes.push(`${(mb / x.oursMedian).toFixed(0)} MB/s of tar; peak RSS ${x.peakRssMiB?.toFixed(0)} MiB`);
    }
  }
  if (startup) {
    // Start-up is short and noisy: more runs, still medians.
    const r = await roundRobin({ node: () => timed(`${q(NODE)} -e 0`), version: () => timed(od('--version > /dev/null')) }, Math.max(10, runs));
    row(
      'S1',
      'start-up: overlaydiff --version',
      'node dist/cli/main.js --version',
      r.version,
      { kind: 'ratio-at-most', value: 1.3 },
      { name: 'node -e 0', samples: r.node },
    );
  }
}

async function containerdRows(): Promise<void> {
  const why = whyNoContainerd();
  if (why !== undefined) {
    notes.push(`containerd rows not run: ${why}`);
    return;
  }
  const t = await benchContainerd(join(root ?? '', 'containerd'), sizes.lowerFiles, sizes.lowerDirs, sizes.changed, runs, log);
  notes.push(`containerd: ${t.version}`);
  const asSamples = (xs: number[]): Sample[] => xs.map((seconds) => ({ seconds, output: { stdout: '', stderr: '' } }));
  const work = `small diff: ${sizes.changed} changes + 2 deletes + 1 opaque dir over a ${sizes.lowerFiles}-file lower`;
  row(
    'C1',
    `${work} (CLI)`,
    'overlaydiff diff on the snapshot dirs',
    asSamples(t.cli),
    { kind: 'speedup-at-least', value: 20 },
    { name: 'ctr snapshots diff, walking', samples: asSamples(t.walking) },
  );
  const s = row(
    'C2',
    `${work} (plugin)`,
    'ctr snapshots diff, overlaydiff serve',
    asSamples(t.serve),
    { kind: 'speedup-at-least', value: 20 },
    { name: 'ctr snapshots diff, walking', samples: asSamples(t.walking) },
  );
  s.notes.push(`ctr's own floor (ctr version): ${median(t.ctrFloor).toFixed(3)} s of every ctr call`);
}

async function scaleRows(s3: boolean, curve: boolean): Promise<void> {
  const base = root ?? '';
  const largest = sizes.curve[2] ?? 0;
  // The biggest curve lower is also S3's upper: the same shape (empty files, 1,000 per dir).
  const bigTree = join(base, `empty-${largest}`);
  let t = Date.now();
  await buildEmptyFiles(bigTree, Math.max(largest, s3 ? sizes.s3Entries : 0));
  log(`built ${Math.max(largest, s3 ? sizes.s3Entries : 0)} empty files (${secondsSince(t)} s)`);
  if (s3) {
    const tree = sizes.s3Entries === largest ? bigTree : join(base, 's3');
    if (tree !== bigTree) await buildEmptyFiles(tree, sizes.s3Entries);
    await sh(`tar -cf - -C ${q(tree)} . | cat > /dev/null`);
    const rss = join(base, 'rss');
    const r = await roundRobin({
      ours: () => timed(od(`diff --upper ${q(tree)} -o - --json`), ` 2> /dev/null | cat > /dev/null`, rss),
      tar: () => timed(`tar -cf - -C ${q(tree)} . | cat > /dev/null`),
    });
    const x = row(
      'S3',
      `S3: ${sizes.s3Entries} empty files in the upper`,
      'overlaydiff diff -o - | cat',
      r.ours,
      { kind: 'rss-at-most-mib', value: 300 },
      { name: 'tar -cf - . | cat', samples: r.tar },
    );
    x.notes.push(
      `${((median(r.ours.map((s) => s.seconds)) / sizes.s3Entries) * 1e6).toFixed(2)} µs per entry; ` +
        `${(median(r.ours.map((s) => s.seconds)) / median(r.tar.map((s) => s.seconds))).toFixed(2)}× GNU tar's time`,
    );
  }
  if (curve) {
    const uppers: string[] = [];
    for (const files of sizes.curve) {
      const lower = files === largest ? bigTree : join(base, `empty-${files}`);
      if (files !== largest) await buildEmptyFiles(lower, files);
      const dirs = Math.max(1, Math.ceil(files / 1000));
      uppers.push(throughOverlay(join(base, `curve-${files}`), [lower], (merged) => smallChange(merged, files, dirs, sizes.changed)));
    }
    t = Date.now();
    const lowerOf = (files: number): string => (files === largest ? bigTree : join(base, `empty-${files}`));
    const commands = Object.fromEntries(
      sizes.curve.map((files, i) => [
        String(files),
        () => timed(od(`diff --upper ${q(uppers[i] ?? '')} --lower ${q(lowerOf(files))} -o ${q(join(base, 'curve.tar'))}`)),
      ]),
    ) as Record<string, () => Promise<Sample>>;
    const r = await roundRobin(commands);
    const medians = sizes.curve.map((files) => median((r[String(files)] ?? []).map((s) => s.seconds)));
    const spread = Math.max(...medians) / Math.min(...medians);
    sizes.curve.forEach((files, i) => {
      const isLast = i === sizes.curve.length - 1;
      row(
        `L${i + 1}`,
        `lower-size curve: ${sizes.changed} changes + 2 deletes + 1 opaque dir over ${files} lower files`,
        'overlaydiff diff (CLI)',
        r[String(files)] ?? [],
        isLast ? { kind: 'spread-at-most', value: 1.5 } : { kind: 'none' },
        undefined,
        isLast ? { measure: spread } : {},
      );
    });
    log(`lower-size curve measured (${secondsSince(t)} s)`);
  }
}

async function sparseRow(): Promise<void> {
  const dir = join(root ?? '', 'sparse', 'upper');
  writeSparse(join(dir, 'big'), sizes.sparseBytes);
  const rss = join(root ?? '', 'rss');
  const r = await roundRobin({
    ours: () => timed(od(`diff --upper ${q(dir)} -o - --json`), ' 2> /dev/null | cat > /dev/null', rss),
    tar: () => timed(`tar -cf - -C ${q(dir)} . | cat > /dev/null`),
  });
  const x = row(
    'P1',
    `sparse file of ${(sizes.sparseBytes / GiB).toFixed(2)} GiB, 32 bytes of data`,
    'overlaydiff diff -o - | cat',
    r.ours,
    { kind: 'none' },
    { name: 'tar -cf - . | cat (reads the holes)', samples: r.tar },
  );
  x.notes.push(`peak RSS ${x.peakRssMiB?.toFixed(0)} MiB; the sha256 of every zero byte and the pipe remain`);
}

// ---- output -----------------------------------------------------------------------------------

function printMachine(): void {
  const cpu = os.cpus();
  const version = (cmd: string, arg = '--version'): string => (spawnSync(cmd, [arg], { encoding: 'utf8' }).stdout ?? '').split('\n')[0] ?? '?';
  console.log(`overlaydiff bench — ${new Date().toISOString()}`);
  console.log(
    `machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${(os.totalmem() / GiB).toFixed(1)} GiB, Linux ${os.release()}, node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    `tools: ${version('tar')}; ${version('pigz')}${spawnSync('pigz', ['--version'], { encoding: 'utf8' }).stderr.trim()}; ${version('zstd', '-V')}; ${version('openssl', 'version')}`,
  );
  console.log(`scale ${scale} (BENCH_SCALE), medians of ${runs} (BENCH_RUNS), sections ${[...only].join(',')}, temp dir ${root}`);
}

function report(ms: number): void {
  console.log('');
  printTable(
    ['row', 'work', 'ours s', 'baseline', 'baseline s', 'measure', 'goal', 'verdict'],
    rows.map((r) => [
      r.id,
      r.work,
      r.oursMedian.toFixed(3),
      r.baseline ?? '',
      r.baselineMedian?.toFixed(3) ?? '',
      measureText(r.goal, r.measure),
      r.goalText,
      r.verdict,
    ]),
  );
  console.log('');
  for (const r of rows) for (const note of r.notes) console.log(`${r.id}: ${note}`);
  for (const note of notes) console.log(note);
  console.log('Times are medians of wall time, warm page cache, start-up included. measure: ours/baseline (≤ goals), baseline/ours (faster),');
  console.log('peak RSS (GNU time), or slowest/fastest over the curve. Verdicts are reported, never enforced: exit 0 when everything ran.');
  const misses = rows.filter((r) => r.verdict === 'MISS').map((r) => r.id);
  console.log(
    `${rows.filter((r) => r.verdict === 'PASS').length} PASS, ${misses.length} MISS${misses.length === 0 ? '' : ` (${misses.join(', ')})`}, ` +
      `${rows.filter((r) => r.verdict === 'INFO').length} for scale; ${(ms / 1000).toFixed(0)} s`,
  );
  const dir = join(REPO, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replaceAll(':', '-')}-scale-${scale}.json`);
  const machine = {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memGiB: os.totalmem() / GiB,
    kernel: os.release(),
    node: process.version,
    load: os.loadavg(),
  };
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), scale, runs, machine, sizes, rows, notes }, null, 2)}\n`);
  console.log(`results: ${file}`);
}

function secondsSince(t: number): string {
  return ((Date.now() - t) / 1000).toFixed(1);
}

function cleanUp(): void {
  if (root === undefined) return;
  const dir = root;
  root = undefined;
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m?.startsWith(dir));
  if (mounts.length > 0) {
    process.stderr.write(`bench: mounts left below ${dir}, not removing it: ${mounts.join(', ')}\n`);
    process.exitCode = 1;
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}
