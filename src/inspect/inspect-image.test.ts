import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tarOf, type Member } from '../../fixtures/layer-tar.js';
import { parseInspectArgs, runInspect } from '../cli/inspect-command.js';
import { inspectImage } from './inspect-image.js';

let layout: string;
beforeEach(() => {
  layout = mkdtempSync(join(tmpdir(), 'overlaydiff-inspect-image-'));
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
});
afterEach(() => rmSync(layout, { recursive: true, force: true }));

const sha = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function blob(bytes: Buffer, mediaType: string): { mediaType: string; digest: string; size: number } {
  const digest = sha(bytes);
  writeFileSync(join(layout, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { mediaType, digest, size: bytes.length };
}

interface LayerSpec {
  members: Member[];
  gzip?: boolean;
  /** Overrides what the manifest and config claim. */
  mediaType?: string;
  diffID?: string;
}

/** Writes an image of `layers` (bottom first) tagged `tag` into the layout. */
function image(tag: string, layers: LayerSpec[]): void {
  const descriptors = layers.map((l) => {
    const tar = tarOf(l.members);
    return {
      tar,
      descriptor: blob(l.gzip === true ? gzipSync(tar) : tar, l.mediaType ?? `application/vnd.oci.image.layer.v1.tar${l.gzip === true ? '+gzip' : ''}`),
    };
  });
  const config = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: descriptors.map((d, i) => layers[i]!.diffID ?? sha(d.tar)) } };
  const configDescriptor = blob(Buffer.from(JSON.stringify(config)), 'application/vnd.oci.image.config.v1+json');
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: configDescriptor,
    layers: descriptors.map((d) => d.descriptor),
  };
  const manifestDescriptor = blob(Buffer.from(JSON.stringify(manifest)), 'application/vnd.oci.image.manifest.v1+json');
  const index = { schemaVersion: 2, manifests: [{ ...manifestDescriptor, annotations: { 'org.opencontainers.image.ref.name': tag } }] };
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
}

const dir = (path: string): Member => ({ path, type: 'dir', mode: 0o755 });

describe('inspectImage', () => {
  it('lists every layer bottom first and checks each against the manifest and config', async () => {
    image('latest', [{ members: [dir('etc'), { path: 'etc/a', data: 'a' }], gzip: true }, { members: [{ path: 'etc/.wh.a' }, { path: 'top', data: 't' }] }]);
    const seen: string[] = [];
    const result = await inspectImage({ layout, onEntry: (layer, entry) => seen.push(`${layer}:${entry.path.toString()}:${entry.kind}`) });
    expect(seen).toEqual(['0:etc:entry', '0:etc/a:entry', '1:etc/.wh.a:whiteout', '1:top:entry']);
    expect(result.layers.map((l) => [l.layer, l.compression, l.entries, l.mismatches])).toEqual([
      [0, 'gzip', 2, []],
      [1, 'none', 2, []],
    ]);
  });

  it('lints each layer against the layers below it', async () => {
    image('t', [
      { members: [dir('d'), { path: 'd/x', data: 'x' }, { path: 'f', data: 'f' }] },
      // .wh.f and opaque d are fine; .wh.ghost hides nothing; an opaque f/ is not over a directory.
      { members: [dir('d'), { path: 'd/.wh..wh..opq' }, { path: '.wh.f' }, { path: '.wh.ghost' }] },
      // f was deleted by layer 1, so a whiteout for it now hides nothing; d/x was hidden by the opaque marker.
      { members: [{ path: 'd/.wh.x' }, { path: '.wh.f' }] },
    ]);
    const result = await inspectImage({ layout, tag: 't', lint: true });
    expect(result.layers.map((l) => l.findings.map((f) => `${f.rule} ${f.path.toString()}`))).toEqual([
      [],
      ['whiteout-absent .wh.ghost'],
      ['whiteout-absent d/.wh.x', 'whiteout-absent .wh.f'],
    ]);
  });

  it('reports a layer whose blob contradicts its media type or diffID', async () => {
    image('latest', [
      { members: [{ path: 'a', data: 'a' }], mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
      { members: [{ path: 'b', data: 'b' }], gzip: true, diffID: `sha256:${'0'.repeat(64)}` },
    ]);
    const result = await inspectImage({ layout });
    expect(result.layers[0]!.mismatches).toEqual(['blob is an uncompressed tar, the manifest says application/vnd.oci.image.layer.v1.tar+zstd']);
    expect(result.layers[1]!.mismatches).toEqual([expect.stringMatching(/^diffID is sha256:[0-9a-f]{64}, the config says sha256:0{64}$/)]);
    const { found, text } = await runInspect(parseInspectArgs(['--layout', layout]), new AbortController().signal);
    expect(found).toBe(true);
    expect(text.join('')).toContain('mismatch: layer 1: diffID is');
  });

  it('names the layout and tag when the tag is absent', async () => {
    image('latest', [{ members: [{ path: 'a', data: 'a' }] }]);
    await expect(inspectImage({ layout, tag: 'nope' })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      message: expect.stringContaining('no image tagged "nope"'),
    });
  });
});

describe('inspect --layout on the command line', () => {
  it('prints per-layer JSON with entries, findings and mismatches', async () => {
    image('latest', [{ members: [{ path: 'a', data: 'a' }] }, { members: [{ path: '.wh.b' }] }]);
    const { text, found } = await runInspect(parseInspectArgs(['--layout', layout, '--lint', '--json']), new AbortController().signal);
    const doc = JSON.parse(text.join('')) as {
      tag: string;
      layers: { layer: number; entries: { path: string }[]; findings: { rule: string }[]; mismatches: string[] }[];
    };
    expect(found).toBe(true);
    expect(doc.tag).toBe('latest');
    expect(doc.layers.map((l) => [l.layer, l.entries.map((e) => e.path), l.findings.map((f) => f.rule), l.mismatches])).toEqual([
      [0, ['a'], [], []],
      [1, ['.wh.b'], ['whiteout-absent'], []],
    ]);
  });
});
