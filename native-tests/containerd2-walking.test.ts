// Cross-check with containerd's built-in `walking` differ on containerd 2.x: walking's layers applied by
// overlaydiff serve's Apply, and overlaydiff's layers (an image layout) applied by walking, give the merged views.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunContainerd2, startContainerd2, type Containerd2 } from './harness/containerd2.js';
import { callDiffer } from '../fixtures/differ-client.js';
import { layoutImages, prepareSnapshot } from './harness/images.js';
import { expectSameTree } from './harness/layer.js';
import { REPO, type Manifest } from './harness/overlay.js';
import { useScenarios } from './harness/scenarios.js';
import { buildChain, manifestOf, withSnapshotMounted } from './harness/snapshots.js';

const NS = 'walking';
const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const IMAGE = 'example.test/overlaydiff';
const scenario = useScenarios();

/** The blob `ctr snapshots diff` just wrote: the content row whose size and digest match, with its labels. */
function blobOf(c: Containerd2, bytes: Buffer): { digest: string; diffID: string } {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const row = c
    .ctr(NS, ['content', 'ls'])
    .split('\n')
    .find((l) => l.startsWith(digest));
  const diffID = /containerd\.io\/uncompressed=(sha256:[0-9a-f]{64})/.exec(row ?? '')?.[1];
  if (diffID === undefined) throw new Error(`no labelled blob ${digest} in the content store`);
  return { digest, diffID };
}

describe.runIf(canRunContainerd2())('overlaydiff serve and containerd walking, each applying the other (containerd 2)', () => {
  let c: Containerd2 | undefined;
  beforeAll(async () => {
    // The diff service uses walking; the transfer service's unpacker still uses overlaydiff.
    c = await startContainerd2({ differs: ['walking'] });
    buildChain(c, NS);
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("walking's layers of a 3-level chain, applied by overlaydiff's Apply, rebuild the merged view with walking's diffIDs", async () => {
    if (c === undefined) throw new Error('containerd did not start');
    const target = mkdtempSync(join(c.dir, 'applied-'));
    for (const key of ['c1', 'c2', 'l3']) {
      const blob = c.ctrBytes(NS, ['snapshots', 'diff', '--media-type', GZIP, '--label', 'containerd.io/gc.root=test', key]);
      const { digest, diffID } = blobOf(c, blob);
      const answer = await callDiffer(
        c.differAddress,
        'Apply',
        { diff: { mediaType: GZIP, digest, size: blob.length }, mounts: [{ type: 'bind', source: target, options: ['rw', 'rbind'] }] },
        NS,
      );
      expect(answer.error, key).toBeUndefined();
      expect(answer.response?.['applied']).toMatchObject({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffID });
    }
    // containerd 2.1's walking writes no xattrs at all (its layer of c2 has no SCHILY.xattr record for
    // user.x), so xattrs are compared only in the tests of overlaydiff's own layers.
    const withoutXattrs = (m: Manifest): Manifest => ({
      ...m,
      entries: Object.fromEntries(Object.entries(m.entries).map(([k, v]) => [k, { ...v, xattrs: {} }])),
    });
    const merged = withSnapshotMounted(c, NS, 'l3', (dir) => manifestOf(dir));
    expectSameTree(withoutXattrs(merged), withoutXattrs(manifestOf(target)));
    // Only Apply reached overlaydiff: every Diff went to walking.
    expect(c.differLog().filter((l) => l['method'] === 'Diff')).toEqual([]);
  });

  it("overlaydiff's layers, unpacked by walking (ctr images import --local), give the merged view", () => {
    if (c === undefined) throw new Error('containerd did not start');
    const root = mkdtempSync(join(tmpdir(), 'overlaydiff-walking-'));
    try {
      const s = scenario('trusted');
      prepareSnapshot(s);
      const layout = join(root, 'layout');
      const run = (argv: string[]): void => {
        const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
      };
      run([process.execPath, CLI, 'diff', '--upper', s.lowers[0]!, '--layout', layout, '--tag', 't1', '--compression', 'zstd']);
      expect(s.diff(['--layout', layout, '--tag', 't2', '--base', 't1', '--compression', 'zstd']).code).toBe(0);
      expect(layoutImages(layout).map((i) => i.tag)).toEqual(['t1', 't2']);
      run(['tar', '-C', layout, '--exclude=./.overlaydiff.lock', '-cf', join(root, 'image.tar'), '.']);
      const before = c.differLog().length;
      c.ctr('walking-import', ['images', 'import', '--local', '--base-name', IMAGE, '--snapshotter', 'overlayfs', join(root, 'image.tar')]);
      expect(
        c
          .differLog()
          .slice(before)
          .filter((l) => l['method'] === 'Apply'),
      ).toEqual([]);
      const rootfs = join(root, 'mnt');
      mkdirSync(rootfs);
      c.ctr('walking-import', ['images', 'mount', '--snapshotter', 'overlayfs', `${IMAGE}:t2`, rootfs]);
      try {
        expect(manifestOf(rootfs)).toEqual(s.mergedManifest());
      } finally {
        c.ctr('walking-import', ['images', 'unmount', '--rm', rootfs]);
        rmdirSync(rootfs);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
