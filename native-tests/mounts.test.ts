// Mount inputs on real overlays: --mountpoint reads a live mount's layers from mountinfo, and
// containerd-style mounts (diffMounts / --mounts) give the same layer bytes as explicit paths.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect } from 'vitest';
import { diffMounts } from '../src/diff/diff-mounts.js';
import { diff } from '../src/diff/diff.js';
import type { Mount } from '../src/mounts/containerd-mounts.js';
import { snapshotAtMountpoint } from '../src/mounts/mountinfo.js';
import type { XattrNamespace } from '../src/types.js';
import { expectSameTree, listTar, memberNames } from './harness/layer.js';
import { REPO, type Scenario, namespaceOf } from './harness/overlay.js';
import { forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});
const scenario = useScenarios();

// overlayfs lowerdir=/upperdir= escaping: a backslash before ':', ',' and '\' (ovl_unescape).
const escapeLayer = (path: string): string => path.replace(/[\\:,]/g, '\\$&');

/** Layer directories whose names mountinfo must escape (space) and overlay options must escape (','). */
function oddLayout(): { root: string; l0: string; l1: string; upper: string; work: string; merged: string } {
  const root = mkdtempSync(join(tmpdir(), 'overlaydiff-mounts-'));
  const paths = {
    root,
    l0: join(root, 'low er0'),
    l1: join(root, 'low,er1'),
    upper: join(root, 'up per'),
    work: join(root, 'work'),
    merged: join(root, 'mer ged'),
  };
  for (const d of [paths.l0, paths.l1, paths.upper, paths.work, paths.merged]) mkdirSync(d);
  cleanups.push(() => {
    spawnSync('umount', ['-q', paths.merged]);
    rmSync(root, { recursive: true, force: true });
  });
  // The base (L1) has a file to delete and a directory to replace; the top lower (L0) a file to change.
  mkdirSync(join(paths.l1, 'd'));
  writeFileSync(join(paths.l1, 'd/old'), 'old');
  writeFileSync(join(paths.l1, 'gone'), 'gone');
  writeFileSync(join(paths.l0, 'top'), 'top');
  return paths;
}

// Each change leaves a trace that depends on the right lowers (.wh.gone: a name of the second lower)
// and the right namespace (d/.wh..wh..opq: the opaque xattr of the mount's namespace).
const CHANGES = 'rm gone && rm -rf d && mkdir d && echo new > d/new && echo more >> top';
// Canonical order: a whiteout takes the place of the name it hides.
const EXPECTED_MEMBERS = ['d/', 'd/.wh..wh..opq', 'd/new', '.wh.gone', 'top'];

interface Descriptor {
  diffID: string;
}

describe('--mountpoint on a live overlay', () => {
  forModes(['trusted', 'user-root'] as const, '%s: finds the upperdir, lowerdirs and namespace through mountinfo escapes', (mode) => {
    const p = oddLayout();
    const namespace = namespaceOf(mode);
    const options = [`lowerdir=${escapeLayer(p.l0)}:${escapeLayer(p.l1)}`, `upperdir=${escapeLayer(p.upper)}`, `workdir=${escapeLayer(p.work)}`];
    if (namespace === 'user') options.push('userxattr');
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', options.join(','), p.merged]);
    try {
      execFileSync('bash', ['-euc', CHANGES], { cwd: p.merged });
      const line = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .find((l) => l.includes('mer\\040ged'));
      expect(line).toContain('low\\040er0:');
      const snapshot = snapshotAtMountpoint(p.merged);
      expect(snapshot).toMatchObject({ upperdir: p.upper, lowers: [p.l0, p.l1], dataLowers: [], xattrNamespace: namespace });
      expect(snapshot.features.userxattr).toBe(namespace === 'user');

      const viaMount = cli(['--mountpoint', p.merged, '-o', join(p.root, 'a.tar')]);
      const viaPaths = cli(['--upper', p.upper, '--lower', `${p.l0}:${p.l1}`, '--xattr-namespace', namespace, '-o', join(p.root, 'b.tar')]);
      expect(viaMount.diffID).toBe(viaPaths.diffID);
      expect(memberNames(join(p.root, 'a.tar'))).toEqual(EXPECTED_MEMBERS);
      const wrong = spawnSync(
        process.execPath,
        [CLI, 'diff', '--mountpoint', p.merged, '--xattr-namespace', namespace === 'user' ? 'trusted' : 'user', '-o', join(p.root, 'c.tar')],
        { encoding: 'utf8' },
      );
      expect(wrong.status).toBe(2);
      expect(wrong.stderr).toContain('contradicts the overlay');
    } finally {
      execFileSync('umount', [p.merged]);
    }
  });

  forModes(['user'] as const, 'user: a rootless userxattr mount inside its user namespace', () => {
    const p = oddLayout();
    const options = `lowerdir=${escapeLayer(p.l0)}:${escapeLayer(p.l1)},upperdir=${escapeLayer(p.upper)},workdir=${escapeLayer(p.work)},userxattr`;
    const script = `
      mount -t overlay overlay -o "$OPTS" "$M"
      trap 'cd /; umount "$M"' EXIT
      (cd "$M" && ${CHANGES})
      "$NODE" "$CLI" diff --mountpoint "$M" -o "$T/a.tar" --json > "$T/a.json"
      "$NODE" "$CLI" diff --upper "$U" --lower "$L0:$L1" --xattr-namespace user -o "$T/b.tar" --json > "$T/b.json"`;
    const env = { ...process.env, OPTS: options, M: p.merged, T: p.root, U: p.upper, L0: p.l0, L1: p.l1, NODE: process.execPath, CLI };
    const r = spawnSync('unshare', ['-Urm', 'bash', '-euo', 'pipefail', '-c', script], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [a, b] = ['a.json', 'b.json'].map((f) => JSON.parse(readFileSync(join(p.root, f), 'utf8')) as Descriptor);
    expect(a!.diffID).toBe(b!.diffID);
    expect(memberNames(join(p.root, 'a.tar'))).toEqual(EXPECTED_MEMBERS);
  });
});

describe('containerd mounts: diffMounts and --mounts', () => {
  const overlay = (options: string[]): Mount => ({ type: 'overlay', source: 'overlay', options });
  const nsOptions = (ns: XattrNamespace): string[] => (ns === 'user' ? ['userxattr', 'index=off'] : ['index=off']);

  /** Diffs with explicit paths and through the mounts (library and CLI); all three must be byte-identical. */
  async function expectSameLayer(s: Scenario, lower: Mount[], upper: Mount[], paths: { upper: string; lowers: string[] }, ns: XattrNamespace): Promise<string> {
    const [viaPaths, viaMounts, viaCli] = ['paths.tar', 'mounts.tar', 'cli.tar'].map((f) => join(s.root, f)) as [string, string, string];
    const expected = await diff({ ...paths, xattrNamespace: ns, output: viaPaths });
    const got = await diffMounts({ lower, upper, output: viaMounts });
    expect(got).toEqual(expected);
    expect(readFileSync(viaMounts).equals(readFileSync(viaPaths))).toBe(true);
    const file = join(s.root, 'mounts.json');
    writeFileSync(file, JSON.stringify({ upper, lower }, null, 2));
    expect(cli(['--mounts', file, '-o', viaCli]).diffID).toBe(expected.diffID);
    return viaMounts;
  }

  forModes(['trusted', 'user-root'] as const, '%s: active snapshot over two parents (lower = read-only overlay view)', async (mode) => {
    const s = scenario(mode, 2);
    const ns = namespaceOf(mode);
    s.prepare('mkdir -p $L1/d && echo old > $L1/d/old && echo gone > $L1/gone && echo top > $L0/top');
    s.change(CHANGES);
    const lowerdir = `lowerdir=${s.lowers.join(':')}`;
    const upper = [overlay([`workdir=${s.work}`, `upperdir=${s.upper}`, lowerdir, ...nsOptions(ns)])];
    const lower = [overlay([lowerdir, ...nsOptions(ns)])];
    const layer = await expectSameLayer(s, lower, upper, { upper: s.upper, lowers: s.lowers }, ns);
    expect(memberNames(layer)).toEqual(EXPECTED_MEMBERS);
    expectSameTree(s.mergedManifest(), s.appliedManifest(layer));
  });

  forModes(['trusted', 'user-root'] as const, '%s: committed snapshot view (read-only overlay whose top lowerdir is the change)', async (mode) => {
    const s = scenario(mode, 2);
    const ns = namespaceOf(mode);
    s.prepare('mkdir -p $L1/d && echo old > $L1/d/old && echo gone > $L1/gone && echo top > $L0/top');
    s.change(CHANGES);
    const upper = [overlay([`lowerdir=${[s.upper, ...s.lowers].join(':')}`, ...nsOptions(ns)])];
    const lower = [overlay([`lowerdir=${s.lowers.join(':')}`, ...nsOptions(ns)])];
    const layer = await expectSameLayer(s, lower, upper, { upper: s.upper, lowers: s.lowers }, ns);
    expect(memberNames(layer)).toEqual(EXPECTED_MEMBERS);
  });

  forModes(['trusted', 'user-root'] as const, '%s: single parent (lower = bind mount of the one lowerdir)', async (mode) => {
    const s = scenario(mode, 1);
    const ns = namespaceOf(mode);
    s.prepare('mkdir -p $L0/d && echo old > $L0/d/old && echo gone > $L0/gone && echo top > $L0/top');
    s.change(CHANGES);
    const upper = [overlay([`workdir=${s.work}`, `upperdir=${s.upper}`, `lowerdir=${s.lowers[0]}`, ...nsOptions(ns)])];
    const lower: Mount[] = [{ type: 'bind', source: s.lowers[0]!, options: ['ro', 'rbind'] }];
    const layer = await expectSameLayer(s, lower, upper, { upper: s.upper, lowers: s.lowers }, ns);
    expect(memberNames(layer)).toEqual(EXPECTED_MEMBERS);
    expectSameTree(s.mergedManifest(), s.appliedManifest(layer));
  });

  forModes(['trusted'] as const, '%s: first layer (upper = bind mount, lower = none or a bind of an empty view)', async () => {
    const s = scenario('trusted', 0);
    s.prepare('mkdir -p $U/etc && echo hi > $U/etc/motd && ln -s motd $U/etc/link');
    const upper: Mount[] = [{ type: 'bind', source: s.upper, options: ['rw', 'rbind'] }];
    await expectSameLayer(s, [], upper, { upper: s.upper, lowers: [] }, 'trusted');
    const empty = join(s.root, 'empty');
    const layer = await expectSameLayer(s, [{ type: 'bind', source: empty, options: ['ro', 'rbind'] }], upper, { upper: s.upper, lowers: [] }, 'trusted');
    expect(listTar(layer).map((m) => m.name)).toEqual(['etc/', 'etc/link', 'etc/motd']);
  });

  forModes(['user-root'] as const, '%s: a mounts file whose lowers do not match is a usage error naming both', async () => {
    const s = scenario('user-root', 2);
    const upper = [overlay([`workdir=${s.work}`, `upperdir=${s.upper}`, `lowerdir=${s.lowers.join(':')}`, 'userxattr'])];
    const lower = [overlay([`lowerdir=${s.lowers[1]}:${s.lowers[0]}`, 'userxattr'])];
    const file = join(s.root, 'mounts.json');
    writeFileSync(file, JSON.stringify({ upper, lower }));
    const r = spawnSync(process.execPath, [CLI, 'diff', '--mounts', file, '-o', join(s.root, 'x.tar')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`are not the lower mount's view (${s.lowers[1]}:${s.lowers[0]})`);
    await expect(diffMounts({ lower, upper, output: join(s.root, 'y.tar') })).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});

function cli(args: string[]): Descriptor {
  const r = spawnSync(process.execPath, [CLI, 'diff', ...args, '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`overlaydiff ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Descriptor;
}
