// `ctr images import` of overlaydiff-written images on containerd 2.x: the transfer service (unpack_config
// differ) and `--local` (the diff service) both unpack every layer through overlaydiff serve's Apply.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canRunContainerd2, startContainerd2, type Containerd2 } from './harness/containerd2.js';
import { layoutImages, prepareSnapshot } from './harness/images.js';
import { REPO } from './harness/overlay.js';
import { useScenarios } from './harness/scenarios.js';
import { manifestOf } from './harness/snapshots.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const IMAGE = 'example.test/overlaydiff';
const scenario = useScenarios();

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-containerd2-import-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function run(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function withImageMounted<T>(c: Containerd2, ns: string, ref: string, fn: (rootfs: string) => T): T {
  const rootfs = mkdtempSync(join(c.dir, 'mnt-'));
  c.ctr(ns, ['images', 'mount', '--snapshotter', 'overlayfs', ref, rootfs]);
  try {
    return fn(rootfs);
  } finally {
    c.ctr(ns, ['images', 'unmount', '--rm', rootfs]);
    rmdirSync(rootfs);
  }
}

const CASES = [
  ['transfer service', 'gzip', []],
  ['transfer service', 'zstd', []],
  ['diff service (--local)', 'gzip', ['--local']],
  ['diff service (--local)', 'none', ['--local']],
] as const;

describe.runIf(canRunContainerd2())('ctr images import unpacked by overlaydiff serve (containerd 2)', () => {
  let c: Containerd2 | undefined;
  beforeAll(async () => {
    c = await startContainerd2();
  });
  afterAll(async () => {
    await c?.stop();
  });

  for (const [via, compression, flags] of CASES) {
    it(`${via}, ${compression}: every layer is applied by overlaydiff, diff_ids check out, the snapshot is the merged view`, () => {
      if (c === undefined) throw new Error('containerd did not start');
      const s = scenario('trusted');
      prepareSnapshot(s);
      const layout = join(root, 'layout');
      run([process.execPath, CLI, 'diff', '--upper', s.lowers[0]!, '--layout', layout, '--tag', 't1', '--compression', compression]);
      const d = s.diff(['--layout', layout, '--tag', 't2', '--base', 't1', '--compression', compression]);
      expect(d.code, d.stderr).toBe(0);
      const images = layoutImages(layout);
      const archive = join(root, 'image.tar');
      run(['tar', '-C', layout, '--exclude=./.overlaydiff.lock', '-cf', archive, '.']);

      const ns = `import-${flags.length}-${compression}`;
      const before = c.differLog().length;
      c.ctr(ns, ['images', 'import', ...flags, '--base-name', IMAGE, '--snapshotter', 'overlayfs', archive]);
      const applies = c
        .differLog()
        .slice(before)
        .filter((l) => l['method'] === 'Apply');
      // Two layers (t1's, and t2's on top of it): each unpacked once, by us, and answered with its diff_id.
      expect(applies.map((l) => [l['msg'], l['namespace'], l['diffID']])).toEqual(images[1]!.config.rootfs.diff_ids.map((id) => ['call done', ns, id]));
      expect(applies.map((l) => l['format'])).toEqual(['plain', 'overlay']);

      const checked = c.ctr(ns, ['images', 'check']);
      for (const { tag } of images) expect(checked).toMatch(new RegExp(`^${IMAGE.replace(/\./g, '\\.')}:${tag} .* complete .* true\\s*$`, 'm'));
      const lower = manifestOf(s.lowers[0]!);
      const merged = s.mergedManifest();
      withImageMounted(c, ns, `${IMAGE}:t1`, (rootfs) => expect(manifestOf(rootfs)).toEqual(lower));
      withImageMounted(c, ns, `${IMAGE}:t2`, (rootfs) => expect(manifestOf(rootfs)).toEqual(merged));
    });
  }
});
