import { describe, expect, it } from 'vitest';
import { markReachable, type LoadResult } from './mark.js';
import { MEDIA_TYPE_CONFIG, MEDIA_TYPE_INDEX, MEDIA_TYPE_MANIFEST, type OciDescriptor } from './oci-types.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const desc = (mediaType: string, n: number): OciDescriptor => ({ mediaType, digest: digest(n), size: 1 });
const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

function loader(blobs: Map<string, unknown>): (d: OciDescriptor) => LoadResult {
  return (d) => (blobs.has(d.digest) ? { kind: 'ok', value: blobs.get(d.digest) } : { kind: 'missing' });
}
const manifest = (config: number, ...layers: number[]): unknown => ({
  schemaVersion: 2,
  config: desc(MEDIA_TYPE_CONFIG, config),
  layers: layers.map((n) => desc(LAYER, n)),
});

describe('markReachable', () => {
  it('marks manifests, configs and layers through nested indexes, each once', () => {
    const blobs = new Map<string, unknown>([
      [digest(1), { schemaVersion: 2, manifests: [desc(MEDIA_TYPE_MANIFEST, 2), desc(MEDIA_TYPE_INDEX, 3)] }],
      [digest(2), manifest(10, 11, 12)],
      [digest(3), { schemaVersion: 2, manifests: [desc(MEDIA_TYPE_MANIFEST, 4), desc(MEDIA_TYPE_MANIFEST, 2)] }],
      [digest(4), manifest(13, 12, 14)],
    ]);
    const r = markReachable([desc(MEDIA_TYPE_INDEX, 1)], loader(blobs));
    expect([...r.reachable.keys()].sort()).toEqual([1, 2, 3, 4, 10, 11, 12, 13, 14].map(digest).sort());
    expect(r.missing).toEqual([]);
    expect(r.invalid).toEqual([]);
  });

  it('follows subject descriptors of manifests and indexes', () => {
    const blobs = new Map<string, unknown>([
      [digest(2), { ...(manifest(10, 11) as object), subject: desc(MEDIA_TYPE_MANIFEST, 5) }],
      [digest(5), manifest(20, 21)],
    ]);
    const r = markReachable([desc(MEDIA_TYPE_MANIFEST, 2)], loader(blobs));
    expect([...r.reachable.keys()].sort()).toEqual([2, 5, 10, 11, 20, 21].map(digest).sort());
  });

  it('reports missing and unparsable manifests instead of guessing their children', () => {
    const blobs = new Map<string, unknown>([[digest(2), { schemaVersion: 2, layers: 'nope' }]]);
    const r = markReachable([desc(MEDIA_TYPE_MANIFEST, 2), desc(MEDIA_TYPE_MANIFEST, 3), { mediaType: LAYER, digest: 'md5:x', size: 1 }], loader(blobs));
    expect(r.missing).toEqual([digest(3)]);
    expect(r.invalid.map((i) => i.digest)).toEqual([digest(2), 'md5:x']);
  });

  it('does not load layers or configs (blobs of unknown type are only marked)', () => {
    const seen: string[] = [];
    markReachable([desc(MEDIA_TYPE_MANIFEST, 2)], (d) => {
      seen.push(d.digest);
      return { kind: 'ok', value: manifest(10, 11) };
    });
    expect(seen).toEqual([digest(2)]);
  });

  it('terminates on a reference cycle', () => {
    const blobs = new Map<string, unknown>([[digest(1), { schemaVersion: 2, manifests: [desc(MEDIA_TYPE_INDEX, 1)] }]]);
    expect([...markReachable([desc(MEDIA_TYPE_INDEX, 1)], loader(blobs)).reachable.keys()]).toEqual([digest(1)]);
  });
});
