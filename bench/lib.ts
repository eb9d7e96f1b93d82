// The bench's plumbing: child processes in their own process groups (an interrupt ends whole
// pipelines), timing, peak RSS through GNU time, medians, and the PASS/MISS verdict of a row.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The bench runs compiled from .bench/bench/: the repository is two levels up (or one, from bench/).
const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, HERE.endsWith(join('.bench', 'bench')) ? '../..' : '..');
export const CLI = join(REPO, 'dist', 'cli', 'main.js');
export const NODE = process.execPath;
export const MiB = 1 << 20;
export const GiB = 1 << 30;

const active = new Set<number>();
let interrupted = false;

/** Stops every running child group; later runs reject. */
export function interruptAll(): void {
  interrupted = true;
  for (const pid of active) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
}

export function isInterrupted(): boolean {
  return interrupted;
}

export interface Output {
  stdout: string;
  stderr: string;
}

/** Runs a command in its own process group; rejects on a non-zero exit with the tail of its stderr. */
export function run(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Output> {
  return new Promise((resolvePromise, reject) => {
    if (interrupted) return reject(new Error('interrupted'));
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: env ?? process.env });
    const pid = child.pid;
    if (pid !== undefined) active.add(pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (pid !== undefined) active.delete(pid);
      reject(e);
    });
    child.on('close', (status, signal) => {
      if (pid !== undefined) active.delete(pid);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (status === 0) return resolvePromise({ stdout, stderr });
      const what = signal === null ? `exit status ${status}` : `signal ${signal}`;
      reject(new Error(`${[file, ...args].join(' ').slice(0, 300)}: ${what}\n${stderr.trim().slice(-2000)}`));
    });
  });
}

/** A bash command line (pipefail). */
export function sh(command: string, env?: NodeJS.ProcessEnv): Promise<Output> {
  return run('/bin/bash', ['-o', 'pipefail', '-c', command], env);
}

/** Runs synchronously and throws on failure (mount, umount, short set-up steps). */
export function must(file: string, args: readonly string[]): string {
  const r = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.status ?? r.signal}: ${r.stderr}`);
  return r.stdout;
}

/** Single-quoted for bash. */
export function q(s: string | number): string {
  return `'${String(s).replaceAll("'", "'\\''")}'`;
}

export interface Sample {
  seconds: number;
  /** Peak RSS of the measured process (GNU time -f %M), when measured. */
  rssKiB?: number;
  output: Output;
}

/**
 * Times a bash command. With `rss`, the first word of `measured` runs under /usr/bin/time and its
 * peak RSS is read back from `rssFile`: `measured` is the process to measure, `rest` the pipeline after it.
 */
export async function timed(measured: string, rest = '', rssFile?: string): Promise<Sample> {
  const command = rssFile === undefined ? `${measured}${rest}` : `/usr/bin/time -f %M -o ${q(rssFile)} ${measured}${rest}`;
  const start = process.hrtime.bigint();
  const output = await sh(command);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (rssFile === undefined) return { seconds, output };
  const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
  rmSync(rssFile, { force: true });
  return { seconds, rssKiB: Number(lines.at(-1)), output };
}

/** The median (the lower middle of an even count). */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const m = sorted[Math.floor((sorted.length - 1) / 2)];
  if (m === undefined) throw new Error('median of nothing');
  return m;
}

/** A goal a row is judged by. `ratio` is ours / baseline (time), `speedup` baseline / ours. */
export type Goal =
  | { kind: 'ratio-at-most'; value: number }
  | { kind: 'speedup-at-least'; value: number }
  | { kind: 'rss-at-most-mib'; value: number }
  | { kind: 'spread-at-most'; value: number }
  | { kind: 'none' };

export type Verdict = 'PASS' | 'MISS' | 'INFO';

export interface Row {
  id: string;
  work: string;
  ours: string;
  oursSeconds: number[];
  oursMedian: number;
  baseline?: string;
  baselineSeconds?: number[];
  baselineMedian?: number;
  /** The number the goal is judged on (ratio, speedup, MiB or spread). */
  measure?: number;
  peakRssMiB?: number;
  goal: Goal;
  goalText: string;
  verdict: Verdict;
  notes: string[];
}

/** PASS or MISS of `measure` against `goal` (INFO without a goal). */
export function judge(goal: Goal, measure: number | undefined): Verdict {
  if (goal.kind === 'none' || measure === undefined || !Number.isFinite(measure)) return 'INFO';
  switch (goal.kind) {
    case 'ratio-at-most':
    case 'rss-at-most-mib':
    case 'spread-at-most':
      return measure <= goal.value ? 'PASS' : 'MISS';
    case 'speedup-at-least':
      return measure >= goal.value ? 'PASS' : 'MISS';
  }
}

export function goalText(goal: Goal): string {
  switch (goal.kind) {
    case 'ratio-at-most':
      return `≤ ${goal.value}× baseline`;
    case 'speedup-at-least':
      return `≥ ${goal.value}× faster`;
    case 'rss-at-most-mib':
      return `peak RSS ≤ ${goal.value} MiB`;
    case 'spread-at-most':
      return `slowest/fastest ≤ ${goal.value}`;
    case 'none':
      return '(for scale)';
  }
}

export function measureText(goal: Goal, measure: number | undefined): string {
  if (measure === undefined) return '';
  switch (goal.kind) {
    case 'ratio-at-most':
    case 'none':
      return `${measure.toFixed(2)}×`;
    case 'speedup-at-least':
      return `${measure.toFixed(1)}× faster`;
    case 'rss-at-most-mib':
      return `${measure.toFixed(0)} MiB`;
    case 'spread-at-most':
      return `${measure.toFixed(2)}`;
  }
}

/** Prints rows as an aligned text table. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  for (const [n, r] of all.entries()) {
    console.log(r.map((cell, i) => (i <= 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export function log(message: string): void {
  console.log(`  ${message}`);
}

/** The JSON a `diff --json` wrote (the descriptor report), found in `text` among other lines. */
export function diffReport(text: string): { descriptor: { size: number; digest: string }; diffID: string; stats: { entries: number } } {
  return JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as ReturnType<typeof diffReport>;
}
