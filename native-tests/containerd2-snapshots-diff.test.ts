// `ctr snapshots diff` on a private containerd 2.x whose only differ is `overlaydiff serve`: layers of
// real overlayfs snapshots (3-level chain, changes made through the kernel's merged view) rebuild it.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CTR2, canRunContainerd2, startContainerd2, type Containerd2 } from './harness/containerd2.js';
import { expectSameTree, listTar } from './harness/layer.js';
import { applyIndependently, buildChain, manifestOf, snapshotMount, withSnapshotMounted } from './harness/snapshots.js';

const NS = 'snapdiff';
const OCI = 'application/vnd.oci.image.layer.v1.tar';
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function decompress(blob: Buffer, mediaType: string): Buffer {
  if (mediaType.endsWith('gzip')) return gunzipSync(blob);
  if (mediaType.endsWith('zstd')) return execFileSync('zstd', ['-dc'], { input: blob, maxBuffer: 1 << 30 });
  return blob;
}

/** The content store's rows: digest → labels. */
function contentLabels(c: Containerd2): Map<string, string> {
  const rows = c
    .ctr(NS, ['content', 'ls'])
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '');
  return new Map(
    rows.map((r) => {
      const cols = r.split('\t').filter((x) => x !== '');
      return [cols[0]!, cols.at(-1)!.trim()];
    }),
  );
}

describe.runIf(canRunContainerd2())('ctr snapshots diff through overlaydiff serve (containerd 2)', () => {
  let c: Containerd2 | undefined;
  let work: string;
  beforeAll(async () => {
    c = await startContainerd2();
    work = mkdtempSync(join(c.dir, 'work-'));
    buildChain(c, NS);
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('uses overlay and bind mounts as containerd builds them for each level', () => {
    if (c === undefined) throw new Error('containerd did not start');
    expect(snapshotMount(c, NS, 'l3')).toMatchObject({ type: 'overlay' });
    expect(snapshotMount(c, NS, 'l3').options).toMatch(/upperdir=.*lowerdir=.*:/);
  });

  it('writes tar, gzip and zstd layers of one diffID, labelled, that rebuild the merged view of the chain', () => {
    if (c === undefined) throw new Error('containerd did not start');
    const layer = (key: string, mediaType: string): { blob: Buffer; tar: Buffer } => {
      const blob = c!.ctrBytes(NS, ['snapshots', 'diff', '--media-type', mediaType, key]);
      return { blob, tar: decompress(blob, mediaType) };
    };
    const l3 = [OCI, `${OCI}+gzip`, `${OCI}+zstd`].map((mt) => ({ mt, ...layer('l3', mt) }));
    const diffID = sha256(l3[0]!.tar);
    for (const { tar } of l3) expect(sha256(tar)).toBe(diffID);
    const labels = contentLabels(c);
    for (const { blob, mt } of l3) expect(labels.get(sha256(blob)), `${mt} blob in the content store`).toBe(`containerd.io/uncompressed=${diffID}`);

    // c1 is a bind view (the whole tree), c2 a read-only overlay view of its own layer over c1.
    const base = join(work, 'applied');
    mkdirSync(base);
    for (const [name, tar] of [
      ['c1', layer('c1', `${OCI}+gzip`).tar],
      ['c2', layer('c2', `${OCI}+zstd`).tar],
      ['l3', l3[0]!.tar],
    ] as const) {
      const file = join(work, `${name}.tar`);
      writeFileSync(file, tar);
      applyIndependently(base, file);
    }
    const merged = withSnapshotMounted(c, NS, 'l3', (dir) => manifestOf(dir));
    expectSameTree(merged, manifestOf(base));
    rmSync(base, { recursive: true });

    const calls = c.differLog().filter((l) => l['msg'] === 'call done' && l['method'] === 'Diff');
    expect(calls.length).toBe(5);
    for (const call of calls) expect(call).toMatchObject({ namespace: NS });
  });

  it('honours ref and labels, and answers the same blob for the same diff (ALREADY_EXISTS is success)', () => {
    if (c === undefined) throw new Error('containerd did not start');
    const first = c.ctrBytes(NS, ['snapshots', 'diff', '--ref', 'my-ref', '--label', 'org.example/by=test', 'l3']);
    const again = c.ctrBytes(NS, ['snapshots', 'diff', 'l3']);
    expect(sha256(again)).toBe(sha256(first));
    expect(c.ctr(NS, ['content', 'active'])).not.toContain('my-ref');
    const last = c
      .differLog()
      .filter((l) => l['method'] === 'Diff')
      .at(-1);
    expect(last).toMatchObject({ msg: 'call done', existed: true, digest: sha256(first) });
  });

  it('clamps mtimes to SOURCE_DATE_EPOCH, which ctr passes as source_date_epoch', () => {
    if (c === undefined) throw new Error('containerd did not start');
    const epoch = 1_000_000_000;
    const r = spawnSync(CTR2, ['--address', c.address, '--namespace', NS, 'snapshots', 'diff', '--media-type', OCI, 'l3'], {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
      maxBuffer: 1 << 28,
    });
    expect(r.status, r.stderr.toString()).toBe(0);
    const file = join(work, 'epoch.tar');
    writeFileSync(file, r.stdout);
    const members = listTar(file);
    expect(members.length).toBeGreaterThan(10);
    for (const m of members) expect(m.mtime, m.name).toBeLessThanOrEqual(epoch);
    expect(members.some((m) => m.mtime === epoch)).toBe(true);
  });
});
