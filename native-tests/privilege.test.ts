// Privilege and the trusted namespace: a process that cannot see trusted.* xattrs (an unprivileged
// user, root inside a user namespace, root without CAP_SYS_ADMIN) must refuse to diff, verify, lint
// or apply in overlay format in that namespace; before the check it wrote a layer without the
// snapshot's opaque directories and exited 0.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { REPO } from './harness/overlay.js';
import { forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const scenario = useScenarios();

// The repo seen at a path every user can traverse (a CI checkout may live under a 0700 home):
// a bind mount in this test's mount namespace.
let shared: string;
beforeAll(() => {
  shared = mkdtempSync(join(tmpdir(), 'overlaydiff-repo-'));
  chmodSync(shared, 0o755);
  const r = spawnSync('mount', ['--bind', REPO, shared], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot bind-mount the repo for other users: ${r.stderr}`);
});
afterAll(() => {
  spawnSync('umount', [shared]);
  rmSync(shared, { recursive: true, force: true });
});

/** How the CLI is run without the privilege trusted.* needs. */
const UNPRIVILEGED: Record<string, string[]> = {
  'an unprivileged user': ['runuser', '-u', 'nobody', '--'],
  'root in a user namespace': ['unshare', '--user', '--map-root-user'],
  'root without CAP_SYS_ADMIN': ['capsh', '--drop=cap_sys_admin', '--'],
};

function cli(prefix: string[], args: string[]): SpawnSyncReturns<string> {
  // capsh runs its arguments through a shell (`-- -c CMD`); the others exec them.
  const argv =
    prefix[0] === 'capsh'
      ? [...prefix, '-c', [process.execPath, join(shared, 'dist/cli/main.js'), ...args].map(quote).join(' ')]
      : [...prefix, process.execPath, join(shared, 'dist/cli/main.js'), ...args];
  return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
}

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

// A trusted-namespace snapshot whose layer needs its opaque directory and a whiteout; readable by all.
function opaqueSnapshot(): { upper: string; lower: string; root: string } {
  const s = scenario('trusted');
  s.prepare('mkdir -p $L0/d; echo old > $L0/d/old; echo keep > $L0/keep; echo gone > $L0/gone');
  s.change('rm -rf d; mkdir d; echo new > d/new; rm gone');
  chmodSync(s.root, 0o755);
  spawnSync('chmod', ['-R', 'a+rX', s.root]);
  return { upper: s.upper, lower: s.lowers[0]!, root: s.root };
}

describe('the trusted namespace needs CAP_SYS_ADMIN in the initial user namespace', () => {
  forModes(['trusted'] as const, 'root sees the opaque directory (the control)', () => {
    const { upper, lower, root } = opaqueSnapshot();
    const r = cli([], ['diff', '--upper', upper, '--lower', lower, '-o', join(root, 'l.tar'), '--json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ stats: { opaqueDirs: 1, whiteouts: 1 } });
  });

  for (const [who, prefix] of Object.entries(UNPRIVILEGED)) {
    forModes(['trusted'] as const, `diff as ${who} stops instead of writing a layer without the opaque directory`, () => {
      const { upper, lower, root } = opaqueSnapshot();
      const out = join(root, 'out');
      mkdirSync(out);
      chmodSync(out, 0o777);
      const r = cli(prefix, ['diff', '--upper', upper, '--lower', lower, '-o', join(out, 'l.tar')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('cannot diff in the trusted xattr namespace');
      expect(r.stderr).toContain('--xattr-namespace user');
      expect(r.stderr).toContain('[E_PERMISSION]');
      expect(readdirSync(out)).toEqual([]);
    });
  }

  forModes(['trusted'] as const, 'verify, inspect --lint --lower and apply --format overlay refuse in a user namespace; the user namespace works', () => {
    const { upper, lower, root } = opaqueSnapshot();
    const layer = join(root, 'l.tar');
    expect(cli([], ['diff', '--upper', upper, '--lower', lower, '-o', layer]).status).toBe(0);
    const userns = UNPRIVILEGED['root in a user namespace']!;
    const verify = cli(userns, ['verify', '--layer', layer, '--lower', lower, '--merged', lower]);
    expect(verify.status).toBe(1);
    expect(verify.stderr).toContain('cannot verify in the trusted xattr namespace');
    const lint = cli(userns, ['inspect', layer, '--lint', '--lower', lower]);
    expect(lint.status).toBe(1);
    expect(lint.stderr).toContain('[E_PERMISSION]');
    const target = join(root, 'target');
    mkdirSync(target);
    const refused = cli(userns, ['apply', layer, target, '--format', 'overlay']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('cannot apply a layer in overlay format in the trusted xattr namespace');
    expect(readdirSync(target)).toEqual([]);
    const applied = cli(userns, ['apply', layer, target, '--format', 'overlay', '--xattr-namespace', 'user']);
    expect(applied.stderr).toBe('');
    expect(applied.status).toBe(0);
    const opaque = spawnSync('getfattr', ['--only-values', '-n', 'user.overlay.opaque', join(target, 'd')], { encoding: 'utf8' });
    expect(opaque.stdout).toBe('y');
    expect(existsSync(join(target, 'd/new'))).toBe(true);
  });
});
