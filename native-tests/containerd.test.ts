// OCI layouts written by overlaydiff, tarred as an OCI archive: containerd 1.6 (`ctr images import`)
// imports them, unpacks them with its own applier into overlayfs snapshots, and mounts the snapshot's merged view.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canRunContainerd, startContainerd, type Containerd } from './harness/containerd.js';
import { REPO, type Manifest, type Mode } from './harness/overlay.js';
import { canRun } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';
import { layoutImages, prepareSnapshot } from './harness/images.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const HARNESS = join(REPO, 'native-tests/harness');
/** `--base-name` of the import: the layout's bare tags `t1`, `t2` become `${IMAGE}:t1`, `${IMAGE}:t2`. */
const IMAGE = 'example.test/overlaydiff';
const scenario = useScenarios();

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-containerd-test-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function ok(r: SpawnSyncReturns<string>): string {
  if (r.status !== 0) throw new Error(`exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  return r.stdout;
}

function tool(argv: string[]): string {
  return ok(spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }));
}

function manifestOf(dir: string): Manifest {
  return JSON.parse(tool(['python3', join(HARNESS, 'manifest.py'), dir])) as Manifest;
}

const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The chain IDs containerd names committed layer snapshots by (OCI image spec, config.md "Layer ChainID"). */
function chainIDs(diffIDs: string[]): string[] {
  const chain: string[] = [];
  for (const diffID of diffIDs) {
    const parent = chain.at(-1);
    chain.push(parent === undefined ? diffID : sha256(`${parent} ${diffID}`));
  }
  return chain;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Rows of a ctr table (header dropped), split on runs of whitespace. */
const rows = (table: string): string[][] =>
  table
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => line.trim().split(/\s+/));

const CASES: readonly (readonly [Mode, 'gzip' | 'none' | 'zstd'])[] = [
  ['trusted', 'gzip'],
  ['trusted', 'none'],
  ['trusted', 'zstd'],
  ['user', 'gzip'],
];

describe.runIf(canRunContainerd())('containerd import of overlaydiff layouts', () => {
  let containerd: Containerd | undefined;
  beforeAll(async () => {
    containerd = await startContainerd();
  });
  afterAll(async () => {
    await containerd?.stop();
  });

  for (const [mode, compression] of CASES) {
    it.runIf(mode === 'trusted' || canRun(mode))(
      `${mode}, ${compression}: ctr imports a 2-layer image from the tarred layout, unpacks it, and mounts the snapshot's merged view`,
      () => {
        if (containerd === undefined) throw new Error('containerd did not start');
        const s = scenario(mode);
        prepareSnapshot(s);
        const layout = join(root, 'layout');
        // The first layer is the lower itself, stored as the base image t1; the upper on top of it is t2.
        ok(
          spawnSync(process.execPath, [CLI, 'diff', '--upper', s.lowers[0]!, '--layout', layout, '--tag', 't1', '--compression', compression, '--json'], {
            encoding: 'utf8',
          }),
        );
        const d = s.diff(['--layout', layout, '--tag', 't2', '--base', 't1', '--compression', compression]);
        expect(d.code, d.stderr).toBe(0);
        expect(d.descriptor?.stats).toMatchObject({ whiteouts: 2, opaqueDirs: 1, hardlinks: 1 });
        const images = layoutImages(layout);
        expect(images.map((i) => i.tag)).toEqual(['t1', 't2']);

        // An OCI archive is a tar of the layout directory, exactly as overlaydiff left it.
        const archive = join(root, 'image.tar');
        tool(['tar', '-C', layout, '-cf', archive, '.']);
        // A namespace per case: snapshots are per namespace, so each case's layers are unpacked afresh.
        const ns = `overlaydiff-${mode}-${compression}`;
        const imported = containerd.ctr(ns, ['images', 'import', '--base-name', IMAGE, '--snapshotter', 'overlayfs', archive]);
        for (const { tag, manifest } of images) expect(imported).toContain(`unpacking ${IMAGE}:${tag} (${manifest})...done`);

        // Each tag became an image with the manifest digest of the layout and the config's platform.
        const listed = rows(containerd.ctr(ns, ['images', 'ls']));
        expect(listed.map((r) => [r[0], r[2]])).toEqual(images.map((i) => [`${IMAGE}:${i.tag}`, i.manifest]));
        for (const [i, image] of images.entries()) expect(listed[i]).toContain(`${image.config.os}/${image.config.architecture}`);

        // Every blob is in the content store, complete, and every image is unpacked.
        const checked = containerd.ctr(ns, ['images', 'check']);
        for (const { tag } of images) expect(checked).toMatch(new RegExp(`^${escapeRegExp(IMAGE)}:${tag} .* complete \\((\\d+)/\\1\\) .* true\\s*$`, 'm'));
        const blobs = readdirSync(join(layout, 'blobs/sha256')).map((hex) => `sha256:${hex}`);
        const content = new Set(
          containerd
            .ctr(ns, ['content', 'ls', '--quiet'])
            .split('\n')
            .filter((l) => l !== ''),
        );
        for (const blob of blobs) expect(content, blob).toContain(blob);
        // The 1.6 importer also ingests every other regular file of the archive as content (index.json,
        // our empty .overlaydiff.lock); unreferenced, they stay until containerd's GC runs.
        const otherFiles = readdirSync(layout, { withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => sha256(readFileSync(join(layout, e.name))));
        expect([...content].filter((d) => !blobs.includes(d) && !otherFiles.includes(d))).toEqual([]);

        // Unpacking checks each layer's uncompressed digest against the config's diff_ids; the
        // committed snapshots are named by the chain IDs built from them.
        const t2 = images[1]!;
        const committed = rows(containerd.ctr(ns, ['snapshots', '--snapshotter', 'overlayfs', 'ls'])).map((r) => [r[0], r.length === 3 ? r[1] : '', r.at(-1)]);
        const [base, top] = chainIDs(t2.config.rootfs.diff_ids);
        expect(committed.sort()).toEqual(
          [
            [base, '', 'Committed'],
            [top, base, 'Committed'],
          ].sort(),
        );

        const lower = manifestOf(s.lowers[0]!);
        const merged = s.mergedManifest();
        containerd.withImageMounted(ns, `${IMAGE}:t1`, (rootfs) => expect(manifestOf(rootfs)).toEqual(lower));
        containerd.withImageMounted(ns, `${IMAGE}:t2`, (rootfs) => expect(manifestOf(rootfs)).toEqual(merged));
      },
    );
  }
});
