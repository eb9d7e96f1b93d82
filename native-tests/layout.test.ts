// OCI image layouts written by overlaydiff: interop with oci-image-tool, skopeo and umoci; races with GC; crashes at every step.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, type Manifest } from './harness/overlay.js';
import { canRun } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const HARNESS = join(REPO, 'native-tests/harness');
// The built CLI with the store's fault points driven by OVERLAYDIFF_TEST_* (the package has no such switch).
const FAULT_CLI = join(HARNESS, 'fault-cli.mjs');
const scenario = useScenarios();
// Debian stable's umoci (0.4.7) rejects zstd layers; `make deps` fetches 0.6 from Debian testing.
const UMOCI_ZSTD = join(REPO, '.tools/umoci/usr/bin/umoci');
const hasZstdUmoci = existsSync(UMOCI_ZSTD);
if (!hasZstdUmoci) {
  const why = `${UMOCI_ZSTD} is missing: run make deps (it fetches umoci >= 0.5 for zstd layouts)`;
  if (process.env['CI'] === 'true') throw new Error(why);
  console.warn(`skipping the zstd umoci test: ${why}`);
}

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-layout-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

function runFaulty(args: string[], env: Record<string, string>): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [FAULT_CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

function ok(r: SpawnSyncReturns<string>): string {
  if (r.status !== 0) throw new Error(`exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  return r.stdout;
}

function tool(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function manifestOf(dir: string): Manifest {
  return JSON.parse(tool(['python3', join(HARNESS, 'manifest.py'), dir])) as Manifest;
}

interface Fsck {
  ok: boolean;
  errors: string[];
  blobs: number;
  unreferenced: number;
  temps: number;
}
interface Gc {
  deleted: string[];
  young: string[];
  tempsRemoved: string[];
}
const fsck = (layout: string): Fsck => JSON.parse(run(['fsck', '--layout', layout, '--json']).stdout) as Fsck;
const gc = (layout: string, grace = '0'): Gc => JSON.parse(ok(run(['gc', '--layout', layout, '--grace', grace, '--json']))) as Gc;
const tags = (layout: string): string[] =>
  (JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] }).manifests
    .map((m) => m.annotations?.['org.opencontainers.image.ref.name'] ?? '')
    .sort();

/** A plain directory to diff as a first layer. */
function upperDir(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Every blob that the layout's images reference, read back from their manifests by skopeo's view of them. */
function referencedBlobs(layout: string, tag: string): string[] {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (entry === undefined) throw new Error(`no ${tag}`);
  const blob = (d: string): string => join(layout, 'blobs/sha256', d.slice(7));
  const manifest = JSON.parse(readFileSync(blob(entry.digest), 'utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  return [entry.digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)].map(blob);
}

describe.runIf(canRun('trusted'))('layout interop', () => {
  it('stores a real overlay snapshot on a base image; oci-image-tool, skopeo and umoci accept it and umoci unpacks the merged view', () => {
    const s = scenario('trusted');
    s.prepare(`
      mkdir -p $L0/etc/app $L0/var/cache $L0/opt/old/sub
      echo base > $L0/etc/app/conf; echo keep > $L0/etc/hostname; echo gone > $L0/var/cache/x
      echo old > $L0/opt/old/sub/f; ln -s hostname $L0/etc/link; chmod 0640 $L0/etc/hostname`);
    s.change(`
      echo changed > etc/app/conf; rm etc/hostname; rm -r var/cache; mkdir var/cache; echo new > var/cache/y
      rm -r opt/old; mkdir -p opt/old; echo fresh > opt/old/g; ln etc/app/conf etc/app/conf-link
      setfattr -n user.note -v hello etc/app/conf; mkfifo run.fifo; chmod 0711 etc/app`);
    const layout = join(root, 'layout');
    // The first layer is the lower itself, stored as the base image.
    ok(run(['diff', '--upper', s.lowers[0]!, '--layout', layout, '--tag', 'base', '--json']));
    const d = s.diff(['--layout', layout, '--tag', 'app:1.0', '--base', 'base', '--compression', 'gzip']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.descriptor?.digest).toMatch(/^sha256:/);
    // -o FILE alongside --layout is a byte copy of the stored blob.
    expect(`sha256:${createHash('sha256').update(readFileSync(d.layer)).digest('hex')}`).toBe(d.descriptor?.digest);
    expect(tags(layout)).toEqual(['app:1.0', 'base']);

    expect(tool(['oci-image-tool', 'validate', '--type', 'image', layout])).toContain('Validation succeeded');
    expect(tool(['oci-image-tool', 'validate', '--type', 'image', '--ref', 'name=app:1.0', layout])).toContain('Validation succeeded');
    const inspected = JSON.parse(tool(['skopeo', 'inspect', `oci:${layout}:app:1.0`])) as { Layers: string[]; Os: string };
    expect(inspected.Layers).toHaveLength(2);
    expect(inspected.Layers[1]).toBe(d.descriptor?.digest);
    expect(inspected.Os).toBe('linux');
    const other = join(root, 'other');
    tool(['skopeo', 'copy', '--quiet', `oci:${layout}:app:1.0`, `oci:${other}:app:1.0`]);
    expect(fsck(other)).toMatchObject({ ok: true, errors: [] });

    const bundle = join(root, 'bundle');
    tool(['umoci', 'unpack', '--image', `${layout}:app:1.0`, bundle]);
    expect(manifestOf(join(bundle, 'rootfs'))).toEqual(s.mergedManifest());
    expect(fsck(layout)).toMatchObject({ ok: true, errors: [], unreferenced: 0, temps: 0 });
  });

  it.runIf(hasZstdUmoci)('stores a zstd image that skopeo reads and copies, and that umoci 0.6 and apply unpack to the merged view', () => {
    const s = scenario('trusted');
    s.prepare('mkdir -p $L0/d; echo base > $L0/d/f; echo gone > $L0/x');
    s.change('echo changed > d/f; rm x; mkdir -p n && echo new > n/y');
    const layout = join(root, 'layout');
    ok(run(['diff', '--upper', s.lowers[0]!, '--layout', layout, '--tag', 'base', '--compression', 'zstd', '--json']));
    const d = s.diff(['--layout', layout, '--tag', 'app', '--base', 'base', '--compression', 'zstd']);
    expect(d.code, d.stderr).toBe(0);
    const inspected = JSON.parse(tool(['skopeo', 'inspect', '--raw', `oci:${layout}:app`])) as { layers: { mediaType: string; digest: string }[] };
    expect(inspected.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+zstd', 'application/vnd.oci.image.layer.v1.tar+zstd']);
    const other = join(root, 'other');
    tool(['skopeo', 'copy', '--quiet', `oci:${layout}:app`, `oci:${other}:app`]);
    expect(fsck(other)).toMatchObject({ ok: true, errors: [] });
    const rootfs = join(root, 'rootfs');
    mkdirSync(rootfs);
    for (const layer of inspected.layers) ok(run(['apply', join(other, 'blobs/sha256', layer.digest.slice('sha256:'.length)), rootfs]));
    expect(manifestOf(rootfs)).toEqual(s.mergedManifest());
    const bundle = join(root, 'bundle');
    tool([UMOCI_ZSTD, 'unpack', '--image', `${layout}:app`, bundle]);
    expect(manifestOf(join(bundle, 'rootfs'))).toEqual(s.mergedManifest());
  });

  it('reuses an existing blob with the same digest and replaces a tag in place', () => {
    const layout = join(root, 'layout');
    const u = upperDir('u', { 'a/b': 'one' });
    ok(run(['diff', '--upper', u, '--layout', layout, '--tag', 'x', '--source-date-epoch', '1700000000']));
    const first = readdirSync(join(layout, 'blobs/sha256')).sort();
    ok(run(['diff', '--upper', u, '--layout', layout, '--tag', 'x', '--source-date-epoch', '1700000000']));
    // Same snapshot, same epoch: same layer, config and manifest; still one index entry.
    expect(readdirSync(join(layout, 'blobs/sha256')).sort()).toEqual(first);
    expect(tags(layout)).toEqual(['x']);
    const config = JSON.parse(readFileSync(referencedBlobs(layout, 'x')[1]!, 'utf8')) as { created: string; rootfs: { diff_ids: string[] } };
    expect(config.created).toBe('2023-11-14T22:13:20Z');
    expect(readFileSync(join(layout, 'oci-layout'), 'utf8')).toBe('{"imageLayoutVersion":"1.0.0"}\n');
  });

  it('refuses an invalid tag or a missing base without touching index.json', () => {
    const layout = join(root, 'layout');
    const u = upperDir('u', { f: 'x' });
    expect(run(['diff', '--upper', u, '--layout', layout, '--tag', 'bad tag']).status).toBe(2);
    const r = run(['diff', '--upper', u, '--layout', layout, '--tag', 't', '--base', 'nope']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no image tagged "nope"');
    expect(existsSync(join(layout, 'index.json')) ? tags(layout) : []).toEqual([]);
  });
});

async function untilExists(path: string): Promise<void> {
  for (let waited = 0; !existsSync(path); waited += 10) {
    if (waited > 120_000) throw new Error(`${path} never appeared`);
    await sleep(10);
  }
}

describe.runIf(canRun('trusted'))('layout concurrency', () => {
  it('keeps every index entry when eight writers and a GC run at once', async () => {
    const layout = join(root, 'layout');
    const uppers = Array.from({ length: 8 }, (_, i) => upperDir(`u${i}`, { [`f${i}`]: `content ${i}` }));
    const spawnCli = (args: string[]): Promise<number | null> =>
      new Promise((resolve) => spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' }).once('close', (code) => resolve(code)));
    const codes = await Promise.all([
      ...uppers.map((u, i) => spawnCli(['diff', '--upper', u, '--layout', layout, '--tag', `t${i}`, '--compression', i % 2 === 0 ? 'gzip' : 'none'])),
      // GC rightly refuses a directory that is not a layout yet: start it once the writers made one.
      untilExists(join(layout, 'index.json')).then(() => spawnCli(['gc', '--layout', layout])),
    ]);
    expect(codes).toEqual(Array(9).fill(0));
    expect(tags(layout)).toEqual(Array.from({ length: 8 }, (_, i) => `t${i}`).sort());
    expect(fsck(layout)).toMatchObject({ ok: true, errors: [], unreferenced: 0, temps: 0 });
  });

  it('a GC while a writer has stored its blobs but not yet published them loses nothing', async () => {
    const layout = join(root, 'layout');
    ok(run(['diff', '--upper', upperDir('keep', { k: 'keep' }), '--layout', layout, '--tag', 'keep']));
    // An old orphan: proves the GC really sweeps in this window.
    const orphan = Buffer.from('orphan');
    const orphanHex = createHash('sha256').update(orphan).digest('hex');
    writeFileSync(join(layout, 'blobs/sha256', orphanHex), orphan);
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(layout, 'blobs/sha256', orphanHex), old, old);

    const pause = join(root, 'pause');
    const writer = spawn(process.execPath, [FAULT_CLI, 'diff', '--upper', upperDir('new', { n: 'new' }), '--layout', layout, '--tag', 'new'], {
      env: { ...process.env, OVERLAYDIFF_TEST_PAUSE_BEFORE_INDEX: pause },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => writer.once('close', (code) => resolve(code)));
    while (!existsSync(pause)) await sleep(20);

    const swept = gc(layout, '1h');
    expect(swept.deleted).toEqual([`sha256:${orphanHex}`]);
    expect(swept.young).toHaveLength(3); // the writer's layer, config and manifest
    rmSync(pause);
    expect(await exited).toBe(0);
    expect(tags(layout)).toEqual(['keep', 'new']);
    for (const blob of [...referencedBlobs(layout, 'keep'), ...referencedBlobs(layout, 'new')]) expect(existsSync(blob)).toBe(true);
    expect(fsck(layout)).toMatchObject({ ok: true, errors: [] });
    tool(['skopeo', 'inspect', `oci:${layout}:new`]);
  });

  it('a writer whose blobs a zero-grace GC took refuses to publish a dangling reference', async () => {
    const layout = join(root, 'layout');
    ok(run(['diff', '--upper', upperDir('keep', { k: 'keep' }), '--layout', layout, '--tag', 'keep']));
    const pause = join(root, 'pause');
    const writer = spawn(process.execPath, [FAULT_CLI, 'diff', '--upper', upperDir('new', { n: 'new' }), '--layout', layout, '--tag', 'new'], {
      env: { ...process.env, OVERLAYDIFF_TEST_PAUSE_BEFORE_INDEX: pause },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    writer.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => writer.once('close', (code) => resolve(code)));
    while (!existsSync(pause)) await sleep(20);
    await sleep(20); // the blobs' mtimes must be before the cutoff
    expect(gc(layout, '0').deleted).toHaveLength(3);
    rmSync(pause);
    expect(await exited).toBe(1);
    expect(stderr).toContain('vanished before the index was updated');
    expect(tags(layout)).toEqual(['keep']);
    expect(fsck(layout)).toMatchObject({ ok: true, errors: [] });
  });
});

const WRITER_STEPS = ['layer-temp-written', 'layer-stored', 'config-stored', 'manifest-stored', 'index-temp-written', 'index-written'] as const;
const GC_STEPS = ['gc-marked', 'gc-blob-deleted', 'gc-temp-removed'] as const;

describe.runIf(canRun('trusted'))('layout crash safety (SIGKILL at each step)', () => {
  /** A layout with images `keep` (on `base`) and a removed tag's blobs, plus a dead writer's temp file. */
  function prepared(): string {
    const layout = join(root, 'layout');
    ok(run(['diff', '--upper', upperDir('b', { b: 'base' }), '--layout', layout, '--tag', 'base', '--compression', 'gzip']));
    ok(run(['diff', '--upper', upperDir('k', { k: 'keep' }), '--layout', layout, '--tag', 'keep', '--base', 'base']));
    ok(run(['diff', '--upper', upperDir('g', { g: 'gone' }), '--layout', layout, '--tag', 'gone']));
    ok(run(['rm', '--layout', layout, 'gone']));
    writeFileSync(join(layout, 'blobs/.tmp-4000000-abcdef'), 'left by a dead writer');
    return layout;
  }

  function expectValid(layout: string, mustHave: string[]): void {
    expect(fsck(layout)).toMatchObject({ ok: true, errors: [] });
    for (const tag of mustHave) for (const blob of referencedBlobs(layout, tag)) expect(existsSync(blob), blob).toBe(true);
  }

  function expectGcConverges(layout: string, mustHave: string[]): void {
    gc(layout, '0');
    const again = gc(layout, '0');
    expect(again).toMatchObject({ deleted: [], tempsRemoved: [] });
    expect(fsck(layout)).toMatchObject({ ok: true, unreferenced: 0, temps: 0 });
    expectValid(layout, mustHave);
  }

  it.each(WRITER_STEPS)('a writer killed at %s leaves a valid layout', (step) => {
    const layout = prepared();
    const r = runFaulty(['diff', '--upper', upperDir('n', { n: 'new' }), '--layout', layout, '--tag', 'new', '--base', 'keep'], {
      OVERLAYDIFF_TEST_CRASH_AT: step,
    });
    expect(r.signal).toBe('SIGKILL');
    const published = step === 'index-written';
    expect(tags(layout)).toEqual(published ? ['base', 'keep', 'new'] : ['base', 'keep']);
    const survivors = published ? ['base', 'keep', 'new'] : ['base', 'keep'];
    expectValid(layout, survivors);
    expectGcConverges(layout, survivors);
    // The lock died with the writer: the next writer proceeds.
    ok(run(['diff', '--upper', upperDir('m', { m: 'more' }), '--layout', layout, '--tag', 'more']));
  });

  it.each(GC_STEPS)('a GC killed at %s leaves every referenced blob; a rerun converges', (step) => {
    const layout = prepared();
    const r = runFaulty(['gc', '--layout', layout, '--grace', '0'], { OVERLAYDIFF_TEST_CRASH_AT: step });
    expect(r.signal).toBe('SIGKILL');
    expectValid(layout, ['base', 'keep']);
    expectGcConverges(layout, ['base', 'keep']);
  });

  it('rm killed before its index rename keeps the tag; a rerun removes it', () => {
    const layout = prepared();
    const r = runFaulty(['rm', '--layout', layout, 'keep'], { OVERLAYDIFF_TEST_CRASH_AT: 'rm-index-temp-written' });
    expect(r.signal).toBe('SIGKILL');
    expect(tags(layout)).toEqual(['base', 'keep']);
    expectValid(layout, ['base', 'keep']);
    ok(run(['rm', '--layout', layout, 'keep']));
    expectGcConverges(layout, ['base']);
  });
});
