// Faults around `overlaydiff serve` on containerd 2.x: a killed or stopped differ, a deadline, a hostile
// layer, refused inputs, concurrent calls, the socket's mode and ownership.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CTR2, canRunContainerd2, type Containerd2, startContainerd2 } from './harness/containerd2.js';
import { callDiffer } from '../fixtures/differ-client.js';
import { REPO } from './harness/overlay.js';
import { shellIn, snapshotMount, withSnapshotMounted } from './harness/snapshots.js';

const NS = 'faults';
const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const status = { CANCELLED: 1, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, UNIMPLEMENTED: 12, UNAVAILABLE: 14 } as const;

function contentDigests(c: Containerd2): Set<string> {
  return new Set(
    c
      .ctr(NS, ['content', 'ls', '--quiet'])
      .split('\n')
      .filter((l) => l !== ''),
  );
}

function activeIngests(c: Containerd2): string[] {
  return c
    .ctr(NS, ['content', 'active'])
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '');
}

/** Waits until containerd shows ingest `ref` with bytes in it: the Diff is streaming its blob. */
async function untilStreaming(c: Containerd2, ref: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const row = activeIngests(c).find((r) => r.startsWith(`${ref} `) || r.startsWith(`${ref}\t`));
    if (row !== undefined && !/\s0(\.0)? ?B\s/.test(` ${row} `)) return;
    await sleep(10);
  }
  throw new Error(`the Diff never started streaming into ${ref}: ${activeIngests(c).join('; ')}`);
}

/** Puts `bytes` into the content store as a blob; returns its digest. */
function ingest(c: Containerd2, bytes: Buffer): string {
  const digest = sha256(bytes);
  const r = spawnSync(CTR2, ['--address', c.address, '--namespace', NS, 'content', 'ingest', '--expected-digest', digest, `ingest-${digest}`], {
    input: bytes,
  });
  if (r.status !== 0) throw new Error(`ctr content ingest: ${r.stderr.toString()}`);
  // Unreferenced content is kept from the collector only by a root label.
  c.ctr(NS, ['content', 'label', digest, `containerd.io/gc.root=test`]);
  return digest;
}

describe.runIf(canRunContainerd2())('overlaydiff serve faults (containerd 2)', () => {
  let c: Containerd2 | undefined;
  let work: string;
  beforeAll(async () => {
    c = await startContainerd2();
    work = mkdtempSync(join(c.dir, 'work-'));
    c.ctr(NS, ['snapshots', 'prepare', 'base', '']);
    withSnapshotMounted(c, NS, 'base', (dir) => shellIn(dir, 'echo base > f; mkdir d'));
    c.ctr(NS, ['snapshots', 'commit', 'base-c', 'base']);
    // Enough incompressible data that gzip takes seconds: the faults below hit a Diff mid-stream.
    c.ctr(NS, ['snapshots', 'prepare', 'big', 'base-c']);
    withSnapshotMounted(c, NS, 'big', (dir) => shellIn(dir, 'head -c 160000000 /dev/urandom > d/big; rm f'));
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('creates its socket 0600 and refuses to start on a live one', () => {
    if (c === undefined) throw new Error('containerd did not start');
    expect(statSync(c.differAddress).mode & 0o777).toBe(0o600);
    const r = spawnSync(process.execPath, [CLI, 'serve', '--address', c.differAddress, '--containerd-address', c.address], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${c.differAddress}: another server is listening on this socket`);
  });

  it('killed mid-Diff: ctr fails, no blob is committed; restarted over its stale socket, the next Diff works', async () => {
    if (c === undefined) throw new Error('containerd did not start');
    const before = contentDigests(c);
    const pending = c.ctrAsync(NS, ['snapshots', 'diff', '--ref', 'killed-ref', 'big']);
    await untilStreaming(c, 'killed-ref');
    await c.stopDiffer('SIGKILL');
    const failed = await pending;
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toMatch(/^ctr: .*(Unavailable|unavailable|connection|EOF|closing)/m);
    expect(contentDigests(c)).toEqual(before);
    // Nobody aborted the dead differ's ingest: it stays until a write with its ref starts over.
    expect(activeIngests(c).join('\n')).toContain('killed-ref');

    await c.startDiffer();
    const blob = c.ctrBytes(NS, ['snapshots', 'diff', '--ref', 'killed-ref', '--media-type', 'application/vnd.oci.image.layer.v1.tar', 'big']);
    expect(contentDigests(c)).toContain(sha256(blob));
    expect(activeIngests(c).join('\n')).not.toContain('killed-ref');
  });

  it('stopped by SIGTERM mid-Diff: the call is aborted within the bound and the partial ingest removed', async () => {
    if (c === undefined) throw new Error('containerd did not start');
    await c.stopDiffer();
    await c.startDiffer(['--shutdown-timeout', '0s']);
    const before = contentDigests(c);
    const pending = c.ctrAsync(NS, ['snapshots', 'diff', '--ref', 'sigterm-ref', 'big']);
    await untilStreaming(c, 'sigterm-ref');
    await c.stopDiffer('SIGTERM');
    const failed = await pending;
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain('overlaydiff: the differ is stopping; the call was aborted');
    expect(contentDigests(c)).toEqual(before);
    expect(activeIngests(c).join('\n')).not.toContain('sigterm-ref');
    expect(() => statSync(c!.differAddress)).toThrow(/ENOENT/);
    await c.startDiffer();
  });

  it('answers DEADLINE_EXCEEDED when the deadline passes mid-Apply', async () => {
    if (c === undefined) throw new Error('containerd did not start');
    const tree = join(work, 'many');
    mkdirSync(tree);
    execFileSync('python3', ['-c', `import os\nfor i in range(30000): open(os.path.join(${JSON.stringify(tree)}, 'f%05d' % i), 'w').write('x')`]);
    const layerPath = join(work, 'many.tar.gz');
    execFileSync(process.execPath, [CLI, 'diff', '--upper', tree, '--compression', 'gzip', '-o', layerPath]);
    const layer = readFileSync(layerPath);
    const digest = ingest(c, layer);
    const target = join(work, 'apply-target');
    mkdirSync(target);
    const answer = await callDiffer(
      c.differAddress,
      'Apply',
      { diff: { mediaType: GZIP, digest, size: layer.length }, mounts: [{ type: 'bind', source: target, options: ['rw', 'rbind'] }] },
      NS,
      300,
    );
    expect(answer.error?.code).toBe(status.DEADLINE_EXCEEDED);
    // The handler stops too: its log line says why.
    for (let i = 0; i < 500 && !c.differLog().some((l) => l['method'] === 'Apply' && l['code'] === 'DEADLINE_EXCEEDED'); i++) await sleep(20);
    expect(
      c
        .differLog()
        .filter((l) => l['method'] === 'Apply')
        .at(-1),
    ).toMatchObject({ msg: 'call failed', code: 'DEADLINE_EXCEEDED' });
    expect(readdirSync(target).length).toBeLessThan(30000);
  });

  it('refuses a hostile layer and writes nothing outside the mount', async () => {
    if (c === undefined) throw new Error('containerd did not start');
    const outside = join(work, 'outside');
    mkdirSync(outside);
    const tarPath = join(work, 'hostile.tar');
    execFileSync('python3', [
      '-c',
      `
import io, tarfile, sys
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
    l = tarfile.TarInfo('link'); l.type = tarfile.SYMTYPE; l.linkname = sys.argv[2]; t.addfile(l)
    f = tarfile.TarInfo('link/pwned'); f.size = 1; t.addfile(f, io.BytesIO(b'x'))
    e = tarfile.TarInfo('../escape'); e.size = 1; t.addfile(e, io.BytesIO(b'x'))
`,
      tarPath,
      outside,
    ]);
    const layer = readFileSync(tarPath);
    const digest = ingest(c, layer);
    const parent = join(work, 'hostile-parent');
    const target = join(parent, 'snapshot');
    mkdirSync(target, { recursive: true });
    const answer = await callDiffer(
      c.differAddress,
      'Apply',
      {
        diff: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: layer.length },
        mounts: [{ type: 'bind', source: target, options: ['rw', 'rbind'] }],
      },
      NS,
    );
    expect(answer.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(answer.error?.details).toMatch(/^overlaydiff: .*\[E_UNSAFE_PATH\]$/);
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(parent)).toEqual(['snapshot']);
  });

  it('refuses encrypted layers, stream-processor payloads and foreign mounts with UNIMPLEMENTED, and calls without a namespace', async () => {
    if (c === undefined) throw new Error('containerd did not start');
    const target = join(work, 'refused');
    mkdirSync(target);
    const desc = { mediaType: `${GZIP}+encrypted`, digest: `sha256:${'0'.repeat(64)}`, size: 1 };
    const mounts = [{ type: 'bind', source: target, options: ['rw', 'rbind'] }];
    const encrypted = await callDiffer(c.differAddress, 'Apply', { diff: desc, mounts }, NS);
    expect(encrypted.error?.code).toBe(status.UNIMPLEMENTED);
    expect(encrypted.error?.details).toContain(`media type ${GZIP}+encrypted is not supported`);
    const payload = await callDiffer(
      c.differAddress,
      'Apply',
      { diff: { ...desc, mediaType: GZIP }, mounts, payloads: { 'io.containerd.ocicrypt.decoder.v1.tar+gzip': { typeUrl: 'x', value: Buffer.alloc(0) } } },
      NS,
    );
    expect(payload.error?.code).toBe(status.UNIMPLEMENTED);
    expect(payload.error?.details).toContain('stream processor payloads (io.containerd.ocicrypt.decoder.v1.tar+gzip) are not supported');
    const foreign = await callDiffer(c.differAddress, 'Diff', { left: [], right: [{ type: 'erofs', source: '/x.img', options: [] }], mediaType: GZIP }, NS);
    expect(foreign.error?.code).toBe(status.UNIMPLEMENTED);
    expect(foreign.error?.details).toContain('unsupported mount type "erofs"');
    const noNamespace = await callDiffer(c.differAddress, 'Apply', { diff: { ...desc, mediaType: GZIP }, mounts }, undefined);
    expect(noNamespace.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(noNamespace.error?.details).toContain('no containerd-namespace metadata');
  });

  it('serves concurrent Diff calls: every one succeeds with the same diffID', async () => {
    if (c === undefined) throw new Error('containerd did not start');
    c.ctr(NS, ['snapshots', 'prepare', 'small', 'base-c']);
    withSnapshotMounted(c, NS, 'small', (dir) => shellIn(dir, 'echo a > d/a; rm f'));
    expect(snapshotMount(c, NS, 'small').type).toBe('overlay');
    const types = [
      'application/vnd.oci.image.layer.v1.tar',
      GZIP,
      'application/vnd.oci.image.layer.v1.tar+zstd',
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
    ];
    const results = await Promise.all(types.map((mt) => c!.ctrAsync(NS, ['snapshots', 'diff', '--media-type', mt, 'small'])));
    for (const r of results) expect(r.status, r.stderr).toBe(0);
    const labels = c.ctr(NS, ['content', 'ls']);
    const diffIDs = results.map(
      (r) => new RegExp(`^${sha256(r.stdout)}[ \\t][^\\n]*containerd\\.io/uncompressed=(sha256:[0-9a-f]{64})`, 'm').exec(labels)?.[1],
    );
    const seen = results.map((r, i) => `${types[i]}: ${sha256(r.stdout)} -> ${diffIDs[i]}`).join('\n');
    expect(new Set(diffIDs), `${seen}\n${labels}`).toEqual(new Set([sha256(results[0]!.stdout)]));
  });
});
