// Hostile layers (fixtures/hostile): every archive gives a clear error naming the member or a safe
// result inside DIR, and nothing outside DIR changes (SECURITY.md threat model). Each apply runs in its own mount
// namespace with an overlay over /etc, so a write to the host /etc lands in a sandbox upperdir that
// must stay empty; as nobody via setpriv where ownership or devices matter.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
  type BigIntStats,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readXattrs, setXattr } from '../src/fsio/xattr.js';
import { REPO } from './harness/overlay.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const GENERATOR = join(REPO, 'fixtures/hostile/generate.py');
const CASES_JSON = join(REPO, 'fixtures/hostile/cases.json');
const NOBODY = 65534;

interface PathSpec {
  type?: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';
  content?: string;
  size?: number;
  mode?: string;
  uid?: number;
  gid?: number;
  target?: string;
  sameInodeAs?: string;
  rdev?: [number, number];
  xattrs?: Record<string, string | null>;
  notPrivileged?: boolean;
}
type Outcome = { error: string[]; mentions: string | null } | { ok: true; paths: Record<string, PathSpec | null> };
interface Run {
  user: 'root' | 'nobody';
  args: string[];
  expect: Outcome[];
}
interface Case {
  name: string;
  archive: string;
  about: string;
  refs: string[];
  runs: Run[];
  setup?: { symlinks?: Record<string, string>; hardlinks?: Record<string, string> };
  maxDirBytes?: number;
  outsideLinkCountMayChange?: string[];
  deepCleanup?: boolean;
}

const isRoot = process.getuid?.() === 0;
const cliHasApply = existsSync(CLI) && spawnSync(process.execPath, [CLI, 'apply', '--help']).status === 0;
const ready = isRoot && cliHasApply;
if (!ready) {
  const why = !isRoot ? 'needs root' : `${CLI} has no apply command (build first)`;
  if (process.env['CI'] === 'true') throw new Error(`hostile archive tests cannot run: ${why}`);
  console.warn(`skipping hostile archive tests: ${why}`);
}

const cases = JSON.parse(readFileSync(CASES_JSON, 'utf8')) as Case[];
let archives = '';
let generatedCases = '';
const results: string[] = [];

beforeAll(() => {
  if (!ready) return;
  archives = mkdtempSync(join(tmpdir(), 'overlaydiff-hostile-archives-'));
  chmodSync(archives, 0o755);
  const out = join(archives, 'cases.json');
  const r = spawnSync('python3', [GENERATOR, archives, '--cases', out, '--verify'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`generator failed: ${r.stderr}`);
  generatedCases = readFileSync(out, 'utf8');
  for (const name of readdirSync(archives)) chmodSync(join(archives, name), 0o644);
});

afterAll(() => {
  if (archives !== '') removeTree(archives);
  if (results.length > 0) console.log(`hostile archive outcomes:\n${results.join('\n')}`);
});

describe.runIf(ready)('hostile archive corpus', () => {
  it('cases.json is what generate.py writes, and the corpus is large enough', () => {
    expect(generatedCases).toBe(readFileSync(CASES_JSON, 'utf8'));
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const c of cases) expect(existsSync(join(archives, c.archive)), c.archive).toBe(true);
  });

  for (const c of cases) {
    for (const run of c.runs) {
      const title = `${c.name} [${run.user}${run.args.length > 0 ? ` ${run.args.join(' ')}` : ''}]: ${c.about}`;
      it(title, () => checkCase(c, run), 60_000);
    }
  }
});

function checkCase(c: Case, run: Run): void {
  const box = makeSandbox(c, run.user);
  try {
    const before = snapshot(box.root, box.dir, c.outsideLinkCountMayChange ?? []);
    const ancestorsBefore = ancestorEvilNames(box.root);
    const passwdBefore = statLine('/etc/passwd');
    const r = applyIn(box, join(archives, c.archive), run);
    const stderr = r.stderr.toString();
    const verdict =
      r.error !== undefined || r.signal !== null
        ? `killed (${r.signal ?? r.error?.message})`
        : r.status === 0
          ? 'ok'
          : `exit ${r.status}: ${firstLine(stderr)}`;
    results.push(`  ${c.name} [${run.user}${run.args.length > 0 ? ` ${run.args.join(' ')}` : ''}] → ${verdict}`);

    // Nothing outside DIR: the sandbox, the ancestors of DIR, the host /etc (through the overlay's upperdir).
    expect(diffSnapshots(before, snapshot(box.root, box.dir, c.outsideLinkCountMayChange ?? [])), 'changes outside DIR').toEqual([]);
    expect(ancestorEvilNames(box.root), 'escaped names in the ancestors of DIR').toEqual(ancestorsBefore);
    expect(readdirSync(box.etcUpper), 'writes to /etc (overlay upperdir)').toEqual([]);
    expect(statLine('/etc/passwd')).toBe(passwdBefore);
    expect(lstatSync(box.dir).isDirectory(), 'DIR is still a directory').toBe(true);
    if (c.maxDirBytes !== undefined) expect(diskUsage(box.dir)).toBeLessThanOrEqual(c.maxDirBytes);

    // The outcome is one of the acceptable ones.
    const mismatches = run.expect.map((o) => mismatch(o, r, stderr, box.dir));
    if (!mismatches.includes(undefined)) {
      throw new Error(
        `${c.archive}: no expected outcome matched (status ${r.status}, stderr ${JSON.stringify(stderr.slice(0, 400))}):\n  ${mismatches.join('\n  ')}`,
      );
    }
  } finally {
    removeTree(box.root);
    removeTree(box.etc);
  }
}

interface Sandbox {
  root: string;
  dir: string;
  outside: string;
  etc: string;
  etcUpper: string;
}

function makeSandbox(c: Case, user: Run['user']): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'overlaydiff-hostile-'));
  const etc = mkdtempSync(join(tmpdir(), 'overlaydiff-hostile-etc-'));
  const box = join(root, 'box');
  const dir = join(box, 'DIR');
  const outside = join(box, 'outside');
  for (const d of [box, dir, join(dir, 'dir'), join(dir, 'etc'), outside, join(outside, 'sub'), join(etc, 'u'), join(etc, 'w')])
    mkdirSync(d, { recursive: true });
  chmodSync(root, 0o755);
  writeFileSync(join(dir, 'existing'), 'existing\n');
  writeFileSync(join(dir, 'dir/file'), 'in dir\n');
  writeFileSync(join(dir, 'etc/passwd'), 'fake\n');
  writeFileSync(join(outside, 'sentinel'), 'sentinel\n', { mode: 0o644 });
  writeFileSync(join(outside, 'sub/secret'), 'secret\n', { mode: 0o600 });
  setXattr(Buffer.from(join(outside, 'sentinel')), Buffer.from('user.keep'), Buffer.from('1'));
  for (const [name, target] of Object.entries(c.setup?.symlinks ?? {})) symlinkSync(target.replace('{OUTSIDE}', outside), join(dir, name));
  for (const [name, target] of Object.entries(c.setup?.hardlinks ?? {})) linkSync(resolve(dir, target), join(dir, name));
  // As nobody, DIR and outside/ belong to nobody: a wrong write there would succeed, not fail with EACCES.
  if (user === 'nobody') for (const top of [dir, outside]) chownTree(top, NOBODY);
  return { root, dir, outside, etc, etcUpper: join(etc, 'u') };
}

function applyIn(box: Sandbox, archive: string, run: Run): SpawnSyncReturns<Buffer> {
  const script = 'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc && shift 2 && exec "$@"';
  const drop = run.user === 'nobody' ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'] : [];
  const argv = [
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    script,
    'sh',
    box.etcUpper,
    join(box.etc, 'w'),
    ...drop,
    process.execPath,
    CLI,
    'apply',
    archive,
    box.dir,
    ...run.args,
  ];
  const r = spawnSync('unshare', argv, { timeout: 45_000, maxBuffer: 64 << 20 });
  if (r.status !== 0 && r.stderr.toString().includes('mount:')) throw new Error(`cannot mount the /etc guard overlay: ${r.stderr.toString()}`);
  return r;
}

function mismatch(o: Outcome, r: SpawnSyncReturns<Buffer>, stderr: string, dir: string): string | undefined {
  if ('error' in o) {
    if (r.status !== 1) return `error ${o.error.join('|')}: exit status ${r.status}`;
    const codes = o.error.includes('*') ? /\[E_[A-Z_]+\]/.test(stderr) : o.error.some((code) => stderr.includes(`[${code}]`));
    if (!codes) return `error ${o.error.join('|')}: stderr has another code`;
    if (o.mentions !== null && !stderr.includes(o.mentions)) return `error ${o.error.join('|')}: stderr does not name ${JSON.stringify(o.mentions)}`;
    // Names are escaped: no NUL, ESC or other control byte, and no line that is not ours.
    if (/[\x00-\x09\x0b-\x1f\x7f]/.test(stderr)) return `error ${o.error.join('|')}: stderr has raw control bytes`;
    if (stderr.split('\n').some((line) => line !== '' && !line.startsWith('overlaydiff: ')))
      return `error ${o.error.join('|')}: stderr has a line overlaydiff did not write`;
    return undefined;
  }
  if (r.status !== 0) return `ok: exit status ${r.status}`;
  for (const [rel, spec] of Object.entries(o.paths)) {
    const why = checkPath(join(dir, rel), spec, dir);
    if (why !== undefined) return `ok: ${rel}: ${why}`;
  }
  return undefined;
}

function checkPath(path: string, spec: PathSpec | null, dir: string): string | undefined {
  let st: BigIntStats;
  try {
    st = lstatSync(path, { bigint: true });
  } catch {
    return spec === null ? undefined : 'missing';
  }
  if (spec === null) return 'exists, should not';
  if (spec.type !== undefined && typeOf(st) !== spec.type) return `is a ${typeOf(st)}, not a ${spec.type}`;
  if (spec.content !== undefined && readFileSync(path, 'utf8') !== spec.content) return `content ${JSON.stringify(readFileSync(path, 'utf8').slice(0, 80))}`;
  if (spec.size !== undefined && st.size !== BigInt(spec.size)) return `size ${st.size}`;
  if (spec.mode !== undefined && (st.mode & 0o7777n) !== BigInt(`0o${spec.mode}`)) return `mode ${(st.mode & 0o7777n).toString(8)}`;
  if (spec.uid !== undefined && st.uid !== BigInt(spec.uid)) return `uid ${st.uid}`;
  if (spec.gid !== undefined && st.gid !== BigInt(spec.gid)) return `gid ${st.gid}`;
  if (spec.target !== undefined && readlinkSync(path) !== spec.target) return `target ${readlinkSync(path)}`;
  if (spec.sameInodeAs !== undefined && lstatSync(join(dir, spec.sameInodeAs), { bigint: true }).ino !== st.ino) return `not a hardlink of ${spec.sameInodeAs}`;
  if (spec.rdev !== undefined) {
    const [major, minor] = [Number(((st.rdev >> 8n) & 0xfffn) | ((st.rdev >> 32n) & ~0xfffn)), Number((st.rdev & 0xffn) | ((st.rdev >> 12n) & 0xfff00n))];
    if (major !== spec.rdev[0] || minor !== spec.rdev[1]) return `rdev ${major}:${minor}`;
  }
  if (spec.notPrivileged === true && ((st.uid === 0n && (st.mode & 0o4000n) !== 0n) || (st.gid === 0n && (st.mode & 0o2000n) !== 0n))) {
    return `set-id root: mode ${(st.mode & 0o7777n).toString(8)} uid ${st.uid} gid ${st.gid}`;
  }
  if (spec.xattrs !== undefined) {
    const have = new Map(readXattrs(Buffer.from(path)).map((x) => [x.name.toString('latin1'), x.value.toString('hex')]));
    for (const [name, hex] of Object.entries(spec.xattrs)) {
      if ((have.get(name) ?? null) !== hex) return `xattr ${name} is ${have.get(name) ?? 'absent'}, expected ${hex ?? 'absent'}`;
    }
  }
  return undefined;
}

function typeOf(st: BigIntStats): string {
  return st.isFile()
    ? 'file'
    : st.isDirectory()
      ? 'dir'
      : st.isSymbolicLink()
        ? 'symlink'
        : st.isCharacterDevice()
          ? 'char'
          : st.isBlockDevice()
            ? 'block'
            : st.isFIFO()
              ? 'fifo'
              : 'socket';
}

/** Every entry under `root` except the subtree `skip`: type, mode, owner, size, times, links, content, target, xattrs. */
function snapshot(root: string, skip: string, relinkable: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const box = join(root, 'box');
  const visit = (path: string): void => {
    if (path === skip) return;
    const st = lstatSync(path, { bigint: true });
    const linkCountMayChange = relinkable.some((rel) => join(box, rel) === path);
    const fields: (string | bigint)[] = [typeOf(st), st.mode, st.uid, st.gid, st.size, st.mtimeNs, st.ino, st.rdev];
    if (!linkCountMayChange) fields.push(st.ctimeNs, st.nlink);
    if (st.isFile()) fields.push(createHash('sha256').update(readFileSync(path)).digest('hex'));
    if (st.isSymbolicLink()) fields.push(readlinkSync(path));
    for (const x of readXattrs(Buffer.from(path))) fields.push(`${x.name.toString('latin1')}=${x.value.toString('hex')}`);
    out.set(path, fields.join(' '));
    if (st.isDirectory()) for (const name of readdirSync(path).sort()) visit(join(path, name));
  };
  visit(root);
  return out;
}

function diffSnapshots(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [path, line] of before) {
    const now = after.get(path);
    if (now === undefined) changes.push(`removed ${path}`);
    else if (now !== line) changes.push(`changed ${path}: ${line} → ${now}`);
  }
  for (const path of after.keys()) if (!before.has(path)) changes.push(`created ${path}`);
  return changes;
}

/** `evil-*` names in every directory from the sandbox's parent up to `/`. */
function ancestorEvilNames(root: string): string[] {
  const names: string[] = [];
  for (let d = dirname(root); ; d = dirname(d)) {
    for (const name of readdirSync(d)) if (name.startsWith('evil')) names.push(join(d, name));
    if (d === '/') break;
  }
  return names.sort();
}

function statLine(path: string): string {
  const st = lstatSync(path, { bigint: true });
  return [st.ino, st.mode, st.uid, st.size, st.mtimeNs, st.ctimeNs, st.nlink, createHash('sha256').update(readFileSync(path)).digest('hex')].join(' ');
}

function chownTree(path: string, id: number): void {
  lchownSync(path, id, id);
  if (lstatSync(path).isDirectory()) for (const name of readdirSync(path)) chownTree(join(path, name), id);
}

function diskUsage(path: string): number {
  const r = spawnSync('du', ['-s', '--block-size=1', path], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0]);
}

// GNU rm walks with openat, so trees deeper than PATH_MAX (the deep-nesting case) go too.
function removeTree(path: string): void {
  spawnSync('rm', ['-rf', '--one-file-system', path]);
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
