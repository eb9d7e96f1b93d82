// One framing for every reader: each hostile-corpus archive read by overlaydiff's tar reader and by
// Python's tarfile (the framing Go's archive/tar, and so containerd, uses) gives the same members,
// so no member can hide from inspect --lint, verify or flatten while containerd extracts it.
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { layerTar, newLayerHashes } from '../src/blob/layer-stream.js';
import { readTar } from '../src/tar/reader.js';
import { REPO } from './harness/overlay.js';

const GENERATOR = join(REPO, 'fixtures/hostile/generate.py');
const PY_MEMBERS = join(REPO, 'native-tests/harness/tar-members.py');

interface Listing {
  members: string[];
  error: string | null;
}

const corpus = mkdtempSync(join(tmpdir(), 'overlaydiff-framing-'));
afterAll(() => rmSync(corpus, { recursive: true, force: true }));

function generate(): string[] {
  const r = spawnSync('python3', [GENERATOR, corpus], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`generator failed: ${r.stderr}`);
  return readdirSync(corpus)
    .filter((n) => /\.tar(\.gz)?$/.test(n))
    .sort();
}

function pythonListings(paths: readonly string[]): Map<string, Listing> {
  const r = spawnSync('python3', [PY_MEMBERS, ...paths], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`tar-members.py failed: ${r.stderr}`);
  const out = new Map<string, Listing>();
  for (const line of r.stdout.trim().split('\n')) {
    const row = JSON.parse(line) as Listing & { archive: string };
    out.set(row.archive, { members: row.members, error: row.error });
  }
  return out;
}

async function ourListing(path: string): Promise<Listing> {
  const members: string[] = [];
  try {
    for await (const { entry } of readTar(layerTar(createReadStream(path), newLayerHashes()))) members.push(entry.path.toString('hex'));
    return { members, error: null };
  } catch (err) {
    return { members, error: err instanceof Error ? err.message : String(err) };
  }
}

describe('tar framing against Python tarfile', () => {
  it('lists the same members for every hostile-corpus archive, or refuses the archive', async () => {
    const names = generate();
    expect(names.length).toBeGreaterThan(80);
    const python = pythonListings(names.map((n) => join(corpus, n)));
    let agreed = 0;
    for (const name of names) {
      const theirs = python.get(join(corpus, name))!;
      const ours = await ourListing(join(corpus, name));
      if (ours.error === null && theirs.error === null) {
        expect({ name, members: ours.members }).toEqual({ name, members: theirs.members });
        agreed++;
        continue;
      }
      // One side refuses the archive: whatever both read before the refusal is the same, and
      // when only Python refuses, it read no member that we did not (we never show less).
      const common = Math.min(ours.members.length, theirs.members.length);
      expect({ name, members: ours.members.slice(0, common) }).toEqual({ name, members: theirs.members.slice(0, common) });
      if (ours.error === null) expect({ name, extra: theirs.members.slice(common) }).toEqual({ name, extra: [] });
    }
    console.log(`tar framing: ${agreed} of ${names.length} archives read by both with the same members; the rest refused by one side`);
    expect(agreed).toBeGreaterThan(names.length / 2);
  });
});
