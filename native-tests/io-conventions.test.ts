// What the help promises about inputs and outputs: `-` is stdin/stdout everywhere, flatten --dir
// makes its directory, a bare [Mount] brings its own lowerdirs, a read-only layout says so.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO } from './harness/overlay.js';
import { forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const scenario = useScenarios();
let root: string;
let layer: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-io-'));
  mkdirSync(join(root, 'upper/d'), { recursive: true });
  writeFileSync(join(root, 'upper/d/f'), 'hello');
  layer = join(root, 'layer.tar');
  expect(run(['diff', '--upper', join(root, 'upper'), '-o', layer]).status).toBe(0);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function run(args: string[], input?: Buffer): SpawnSyncReturns<Buffer> {
  return spawnSync(process.execPath, [CLI, ...args], input === undefined ? {} : { input });
}

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe('- is stdin and stdout', () => {
  it('flatten -o - streams the layer to stdout and the result to stderr', () => {
    const r = run(['flatten', layer, '-o', '-', '--json']);
    expect(r.status).toBe(0);
    expect(existsSync(join(process.cwd(), '-'))).toBe(false);
    const result = JSON.parse(r.stderr.toString()) as { diffID: string; descriptor: { digest: string; size: number } };
    expect(result.diffID).toBe(sha256(r.stdout));
    expect(result.descriptor.digest).toBe(result.diffID);
    expect(r.stdout.length).toBe(result.descriptor.size);
  });

  it('flatten and inspect read a layer from stdin', () => {
    const bytes = readFileSync(layer);
    const fromFile = JSON.parse(run(['flatten', layer, '-o', join(root, 'a.tar'), '--json']).stdout.toString()) as { diffID: string };
    const fromStdin = run(['flatten', '-', '-o', join(root, 'b.tar'), '--json'], bytes);
    expect(fromStdin.stderr.toString()).toBe('');
    expect(JSON.parse(fromStdin.stdout.toString())).toMatchObject({ diffID: fromFile.diffID });
    const listed = run(['inspect', '-'], bytes);
    expect(listed.stderr.toString()).toBe('');
    expect(listed.status).toBe(0);
    expect(listed.stdout.toString()).toContain('d/f');
    expect(run(['inspect', '--json', '-'], bytes).stdout.toString()).toEqual(run(['inspect', '--json', layer]).stdout.toString());
  });
});

describe('flatten --dir', () => {
  it('creates the directory, but not its parents', () => {
    const dir = join(root, 'new');
    const r = run(['flatten', layer, '--dir', dir]);
    expect(r.stderr.toString()).toBe('');
    expect(readFileSync(join(dir, 'd/f'), 'utf8')).toBe('hello');
    const deep = run(['flatten', layer, '--dir', join(root, 'missing/new')]);
    expect(deep.status).toBe(1);
    expect(deep.stderr.toString()).toContain('cannot create the target directory');
    expect(existsSync(join(root, 'missing'))).toBe(false);
  });
});

describe('--layout on a read-only file system', () => {
  it('says read-only, not "not found"', () => {
    const ro = join(root, 'ro');
    mkdirSync(ro);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro', 'tmpfs', ro]).status).toBe(0);
    try {
      const r = run(['diff', '--upper', join(root, 'upper'), '--layout', join(ro, 'lay')]);
      expect(r.status).toBe(1);
      expect(r.stderr.toString()).toMatch(/read-only file system/i);
      expect(r.stderr.toString()).not.toContain('E_NOT_FOUND');
    } finally {
      spawnSync('umount', [ro]);
    }
  });
});

describe('diff --mounts with a bare [Mount]', () => {
  forModes(['trusted', 'user-root'] as const, '%s: takes the lowerdirs from the overlay mount itself', (mode) => {
    const s = scenario(mode, 2);
    s.prepare('mkdir -p $L1/d; echo 1 > $L1/d/one; echo 0 > $L0/zero');
    s.change('rm d/one; echo n > d/new; rm zero');
    const options = [`lowerdir=${s.lowers.join(':')}`, `upperdir=${s.upper}`, `workdir=${s.work}`, ...(mode === 'trusted' ? [] : ['userxattr'])];
    const file = join(s.root, 'mounts.json');
    writeFileSync(file, JSON.stringify([{ type: 'overlay', source: 'overlay', options }]));
    const bare = run(['diff', '--mounts', file, '-o', join(s.root, 'bare.tar'), '--json']);
    expect(bare.stderr.toString()).toBe('');
    const paths = s.diff([], 'paths.tar');
    expect(JSON.parse(bare.stdout.toString())).toMatchObject({ diffID: paths.descriptor?.diffID, stats: { whiteouts: 2 } });
    expect(readdirSync(s.root)).toContain('bare.tar');
  });
});
