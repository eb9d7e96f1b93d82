import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OverlaydiffError } from '../errors.js';
import { fsck, isCheckGap } from './fsck.js';
import { gc } from './gc.js';
import { removeTag } from './remove-tag.js';
import { diffToLayout } from './write-image.js';

let root: string;
let layout: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-store-'));
  layout = join(root, 'layout');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function upper(name: string, content: string): string {
  mkdirSync(join(root, name));
  writeFileSync(join(root, name, 'f'), content);
  return join(root, name);
}
const blob = (digest: string): string => join(layout, 'blobs/sha256', digest.slice('sha256:'.length));
const ageBlob = (digest: string): void => {
  const old = new Date(Date.now() - 2 * 3600_000);
  utimesSync(blob(digest), old, old);
};

describe('diffToLayout', () => {
  it('writes oci-layout, the blobs and a tagged index entry; --base stacks the layer', async () => {
    const first = await diffToLayout({ upper: upper('a', 'one'), layout, tag: 'a', compression: 'gzip', sourceDateEpoch: 0 });
    const second = await diffToLayout({ upper: upper('b', 'two'), layout, tag: 'b', base: 'a' });
    expect(JSON.parse(readFileSync(join(layout, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const manifest = JSON.parse(readFileSync(blob(second.manifest.digest), 'utf8')) as { layers: { digest: string }[] };
    expect(manifest.layers.map((l) => l.digest)).toEqual([first.layer.descriptor.digest, second.layer.descriptor.digest]);
    const config = JSON.parse(readFileSync(blob(second.config.digest), 'utf8')) as { rootfs: { diff_ids: string[] }; history: unknown[] };
    expect(config.rootfs.diff_ids).toEqual([first.layer.diffID, second.layer.diffID]);
    expect(config.history).toHaveLength(2);
    const firstConfig = JSON.parse(readFileSync(blob(first.config.digest), 'utf8')) as { created: string };
    expect(firstConfig.created).toBe('1970-01-01T00:00:00Z');
    expect(await fsck({ layout })).toMatchObject({ ok: true, blobs: 6, referenced: 6 });
    expect(readdirSync(join(layout, 'blobs')).filter((n) => n !== 'sha256')).toEqual([]);
  });

  it('creates nothing when the snapshot is missing', async () => {
    await expect(diffToLayout({ upper: join(root, 'missing'), layout, tag: 'x' })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    expect(existsSync(layout)).toBe(false);
  });

  it('leaves no temp file in the layout when the diff fails', async () => {
    const bad = upper('bad', 'x');
    writeFileSync(join(bad, '.wh.literal'), '');
    await expect(diffToLayout({ upper: bad, layout, tag: 'x' })).rejects.toMatchObject({ code: 'E_UNREPRESENTABLE' });
    expect(readdirSync(join(layout, 'blobs'))).toEqual(['sha256']);
    expect(readdirSync(join(layout, 'blobs/sha256'))).toEqual([]);
  });

  it('replaces a truncated blob of the same name instead of reusing it', async () => {
    const image = await diffToLayout({ upper: upper('a', 'one'), layout, tag: 'a', sourceDateEpoch: 0 });
    writeFileSync(blob(image.layer.descriptor.digest), 'trunc');
    await diffToLayout({ upper: join(root, 'a'), layout, tag: 'a', sourceDateEpoch: 0 });
    expect(await fsck({ layout })).toMatchObject({ ok: true, errors: [] });
  });

  it('refuses a tag outside the ref-name grammar', async () => {
    await expect(diffToLayout({ upper: upper('a', 'x'), layout, tag: 'a b' })).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});

describe('gc', () => {
  it('deletes old unreferenced blobs only after rm, keeps young ones, and dry-run deletes nothing', async () => {
    const keep = await diffToLayout({ upper: upper('k', 'keep'), layout, tag: 'keep' });
    const gone = await diffToLayout({ upper: upper('g', 'gone'), layout, tag: 'gone' });
    for (const d of [
      keep.layer.descriptor.digest,
      keep.config.digest,
      keep.manifest.digest,
      gone.layer.descriptor.digest,
      gone.config.digest,
      gone.manifest.digest,
    ])
      ageBlob(d);
    expect((await gc({ layout })).deleted).toEqual([]);
    expect(await removeTag({ layout, tag: 'gone' })).toBe(1);
    const dry = await gc({ layout, dryRun: true });
    expect(dry.deleted.sort()).toEqual([gone.layer.descriptor.digest, gone.config.digest, gone.manifest.digest].sort());
    expect(readdirSync(join(layout, 'blobs/sha256'))).toHaveLength(6);
    // A young orphan (a writer that has not published yet) survives the default grace.
    const young = Buffer.from('young');
    writeFileSync(blob(`sha256:${createHash('sha256').update(young).digest('hex')}`), young);
    const real = await gc({ layout });
    expect(real.deleted.sort()).toEqual(dry.deleted.sort());
    expect(real.young).toHaveLength(1);
    expect(await fsck({ layout })).toMatchObject({ ok: true, referenced: 3, unreferenced: 1 });
  });

  it('refuses to sweep when a referenced manifest is missing', async () => {
    const image = await diffToLayout({ upper: upper('k', 'keep'), layout, tag: 'keep' });
    unlinkSync(blob(image.manifest.digest));
    await expect(gc({ layout, graceMs: 0 })).rejects.toThrow('refusing to collect garbage');
    expect(readdirSync(join(layout, 'blobs/sha256'))).toHaveLength(2);
  });
});

describe('fsck', () => {
  it('tells a broken layer (an error) from one this installation cannot read (a warning) by code, not by message', async () => {
    const image = await diffToLayout({ upper: upper('g', 'gz'), layout, tag: 'g', compression: 'gzip' });
    const path = blob(image.layer.descriptor.digest);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 12));
    const result = await fsck({ layout });
    expect(result.errors.some((e) => e.startsWith(`${path}: diffID not checked: `))).toBe(true);
    expect(result.warnings).toEqual([]);
    expect(isCheckGap(new OverlaydiffError('E_UNAVAILABLE', 'zstd is not available'))).toBe(true);
    expect(isCheckGap(new OverlaydiffError('E_BAD_ARCHIVE', 'the gzip stream is corrupt: method not supported'))).toBe(false);
  });

  it('reports a corrupted blob and a missing layer', async () => {
    const image = await diffToLayout({ upper: upper('k', 'keep'), layout, tag: 'keep', compression: 'gzip' });
    writeFileSync(blob(image.config.digest), `${readFileSync(blob(image.config.digest), 'utf8')} `);
    let result = await fsck({ layout });
    expect(result.ok).toBe(false);
    expect(result.errors.join('\n')).toContain(`${image.config.digest}: content hashes to`);

    rmSync(layout, { recursive: true });
    const other = await diffToLayout({ upper: upper('m', 'more'), layout, tag: 'm' });
    unlinkSync(blob(other.layer.descriptor.digest));
    result = await fsck({ layout });
    expect(result.errors).toContain(`${other.layer.descriptor.digest}: referenced (application/vnd.oci.image.layer.v1.tar) but missing`);
  });

  it('reports a gzip layer whose diffID is not the one in config.rootfs.diff_ids', async () => {
    const image = await diffToLayout({ upper: upper('k', 'keep'), layout, tag: 'keep', compression: 'gzip' });
    const store = (value: unknown): { digest: string; size: number } => {
      const bytes = Buffer.from(JSON.stringify(value));
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      writeFileSync(blob(digest), bytes);
      return { digest, size: bytes.length };
    };
    const config = JSON.parse(readFileSync(blob(image.config.digest), 'utf8')) as Record<string, unknown>;
    const wrong = `sha256:${'0'.repeat(64)}`;
    const badConfig = store({ ...config, rootfs: { type: 'layers', diff_ids: [wrong] } });
    const manifest = JSON.parse(readFileSync(blob(image.manifest.digest), 'utf8')) as Record<string, unknown>;
    const badManifest = store({ ...manifest, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...badConfig } });
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: unknown[] };
    index.manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...badManifest });
    writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
    const result = await fsck({ layout });
    expect(result.errors).toEqual([`${badManifest.digest}: layer 0 (${image.layer.descriptor.digest}) has diffID ${image.layer.diffID}, config says ${wrong}`]);
  });
});
