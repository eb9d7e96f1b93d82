// Real overlay scenarios for native tests: lowers, a mount, operations through the merged view, a diff.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorLine, parseDiffReport } from './diff-report.js';

/**
 * How the overlay is mounted: `trusted` = root mount; `user` = rootless, everything (mount,
 * operations, the differ) inside `unshare -Urm` with `userxattr`; `user-root` = real root mounting
 * with `userxattr` (then stale `trusted.*` attributes of the lowers are copied up).
 */
export type Mode = 'trusted' | 'user' | 'user-root';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const HARNESS = dirname(fileURLToPath(import.meta.url));

export function namespaceOf(mode: Mode): 'trusted' | 'user' {
  return mode === 'trusted' ? 'trusted' : 'user';
}

// Each script mounts in a mount namespace of its own: a user namespace another test creates
// meanwhile (unshare -Urm copies the mounts it sees) cannot keep this overlay alive after its
// umount, which would leave its upperdir "in use" and make an index=on mount of it fail (EBUSY).
function sh(script: string, env: Record<string, string>, userns: boolean): void {
  const bash = ['bash', '-euo', 'pipefail', '-c', script];
  const argv = userns ? ['unshare', '-Urm', ...bash] : ['unshare', '--mount', '--propagation', 'private', ...bash];
  const r = spawnSync(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`script failed (${r.status}): ${script}\n${r.stderr}`);
}

export interface DiffResult {
  code: number;
  stdout: string;
  stderr: string;
  layer: string;
  descriptor?: { diffID: string; digest: string; size: number; stats: Record<string, number> };
}

/** A temp dir with lowers L0 (topmost) .. Ln, an upper, a workdir and a mountpoint. */
export class Scenario {
  readonly root: string;
  readonly lowers: string[];
  readonly upper: string;
  readonly work: string;
  readonly merged: string;
  readonly mode: Mode;
  /** Extra mount options of the last change(), reused for the fresh mount of the merged view. */
  #featureOptions: string[] = [];

  constructor(mode: Mode, lowerCount = 1) {
    this.mode = mode;
    this.root = mkdtempSync(join(tmpdir(), 'overlaydiff-native-'));
    this.lowers = Array.from({ length: lowerCount }, (_, i) => join(this.root, `L${i}`));
    this.upper = join(this.root, 'upper');
    this.work = join(this.root, 'work');
    this.merged = join(this.root, 'merged');
    for (const d of [...this.lowers, this.upper, this.work, this.merged, join(this.root, 'empty')]) mkdirSync(d);
  }

  get env(): Record<string, string> {
    const env: Record<string, string> = { M: this.merged, U: this.upper, T: this.root };
    for (const [i, l] of this.lowers.entries()) env[`L${i}`] = l;
    return env;
  }

  /** Prepares the lowers as real root, before any mount (may set trusted.* attributes). */
  prepare(script: string): void {
    sh(script, this.env, false);
  }

  /** Mounts lowers+upper in this scenario's mode, runs `script` in the merged view ($M), unmounts. */
  change(script: string, extraOptions: string[] = []): void {
    this.#featureOptions = extraOptions;
    sh(this.#mounted(this.#options(this.lowers, true, extraOptions), script), this.env, this.mode === 'user');
  }

  /**
   * Makes lower `index` the upperdir of a mount over the lowers below it and runs `script` there,
   * so the topmost lowers can be squashed as uppers (build them bottom first).
   */
  changeAsUpper(index: number, script: string, extraOptions: string[] = []): void {
    const work = join(this.root, `work-L${index}`);
    mkdirSync(work, { recursive: true });
    const below = [...this.lowers.slice(index + 1), ...(index + 1 === this.lowers.length ? [join(this.root, 'empty')] : [])];
    const options = [`lowerdir=${below.join(':')}`, `upperdir=${this.lowers[index]}`, `workdir=${work}`];
    if (this.mode !== 'trusted') options.push('userxattr');
    sh(this.#mounted([...options, ...extraOptions].join(','), script), this.env, this.mode === 'user');
  }

  /**
   * Runs overlaydiff on the upper (and, with `squash` k, the topmost k lowers as further uppers);
   * in `user` mode the differ runs rootless inside `unshare -Ur`.
   */
  diff(extraArgs: string[] = [], name = 'layer.tar', squash = 0): DiffResult {
    const layer = join(this.root, name);
    const uppers = [this.upper, ...this.lowers.slice(0, squash)];
    const lowers = this.lowers.slice(squash);
    const args = [CLI, 'diff', '--upper', uppers.join(':'), '--xattr-namespace', namespaceOf(this.mode), '-o', layer, '--json', ...extraArgs];
    if (lowers.length > 0) args.splice(4, 0, '--lower', lowers.join(':'));
    const argv = this.mode === 'user' ? ['unshare', '-Ur', process.execPath, ...args] : [process.execPath, ...args];
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    // Under --json an error is JSON on stdout: add it to stderr as the plain CLI would print it.
    const result: DiffResult = { code: r.status ?? -1, stdout: r.stdout, stderr: r.status === 0 ? r.stderr : r.stderr + errorLine(r.stdout), layer };
    if (result.code === 0) result.descriptor = parseDiffReport(r.stdout);
    return result;
  }

  /** Manifest of the snapshot's merged view, from a fresh mount in this scenario's mode. */
  mergedManifest(): Manifest {
    const out = join(this.root, 'merged.json');
    const script = `python3 ${HARNESS}/manifest.py "$M" > ${out}`;
    sh(this.#mounted(this.#options(this.lowers, true, this.#featureOptions), script), this.env, this.mode === 'user');
    return readManifest(out);
  }

  /**
   * Copies the merged view of the lowers below the squashed ones, applies `layer` with the
   * independent applier, returns its manifest. Lowers that were uppers of redirect_dir/metacopy
   * mounts need those options (`lowerOptions`) to be read as the kernel merges them.
   */
  appliedManifest(layer: string, squash = 0, lowerOptions: string[] = []): Manifest {
    const base = join(this.root, 'applied');
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base);
    // A lower-only overlay needs two lowerdirs; an empty bottom one changes nothing.
    const lowers = [...this.lowers.slice(squash), join(this.root, 'empty')];
    const copy = `cp -a "$M"/. ${base}/`;
    sh(this.#mounted(this.#options(lowers, false, lowerOptions), copy), this.env, this.mode === 'user');
    execFileSync('python3', [join(HARNESS, 'apply_layer.py'), base, layer], { stdio: 'pipe' });
    const out = join(this.root, 'applied.json');
    execFileSync('bash', ['-c', `python3 ${HARNESS}/manifest.py ${base} > ${out}`]);
    return readManifest(out);
  }

  /** Diffs, applies onto the lowers' merged view, and returns both manifests for comparison. */
  roundTrip(squash = 0): { merged: Manifest; applied: Manifest; diff: DiffResult } {
    const diff = this.diff([], 'layer.tar', squash);
    if (diff.code !== 0) throw new Error(`overlaydiff failed (${diff.code}): ${diff.stderr}`);
    return { merged: this.mergedManifest(), applied: this.appliedManifest(diff.layer, squash), diff };
  }

  cleanup(): void {
    // Mounts live in the test's mount namespace and are always unmounted by the scripts; a leftover
    // would make rm fail loudly instead of deleting through it.
    spawnSync('umount', ['-q', this.merged]);
    if (existsSync(this.root)) rmSync(this.root, { recursive: true, force: true });
  }

  #options(lowers: string[], withUpper: boolean, extra: string[]): string {
    const opts = [`lowerdir=${lowers.join(':')}`];
    if (withUpper) opts.push(`upperdir=${this.upper}`, `workdir=${this.work}`);
    if (this.mode !== 'trusted') opts.push('userxattr');
    return [...opts, ...extra].join(',');
  }

  #mounted(options: string, script: string): string {
    return `mount -t overlay overlay -o '${options}' "$M"\ntrap 'cd /; umount "$M"' EXIT\ncd "$M"\n${script}`;
  }
}

export interface Manifest {
  entries: Record<string, Record<string, unknown>>;
  hardlinks: string[][];
}

function readManifest(path: string): Manifest {
  return JSON.parse(execFileSync('cat', [path], { encoding: 'utf8' })) as Manifest;
}
