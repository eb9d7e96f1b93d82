// Sparse files on real overlay mounts: the layer of an upper holding a sparse file is byte for byte
// the layer of the same file written dense (every byte read), while the addon's SEEK_DATA/SEEK_HOLE
// segments are the file's allocated extents as another reader (Python's os.lseek) sees them.
import { execFileSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataSegments, pythonDataSegments, type Seek } from '../fixtures/data-segments.js';
import { REPO } from './harness/overlay.js';
import { canRun } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const scenario = useScenarios();
const MiB = 1 << 20;
const SIZE = 256 * MiB;

// The file: a 256 MiB hole with data at the start, 16 bytes at an unaligned offset, and at the end;
// touch gives both copies the same mtime so only the way their bytes are stored differs.
const WRITE_SPARSE = `
  truncate -s ${SIZE} big
  head -c ${MiB} /dev/urandom > "$T/head.bin"
  dd if="$T/head.bin" of=big conv=notrunc status=none
  printf 'sixteen-bytes-in' | dd of=big bs=1 seek=${100 * MiB + 3} conv=notrunc status=none
  dd if="$T/head.bin" of=big bs=${MiB} seek=${SIZE / MiB - 1} conv=notrunc status=none
  touch -d @1700000000 big
`;

interface SeekAddon {
  seek: Seek;
}

async function addonSegments(path: string): Promise<number[][]> {
  const { loadNativeAddon } = (await import(join(REPO, 'dist/fsio/native-addon.js'))) as { loadNativeAddon: <T>(root?: string) => T };
  const addon = loadNativeAddon<SeekAddon>(REPO);
  return dataSegments((fd, offset, whence) => addon.seek(fd, offset, whence), path);
}

describe('a sparse file in the upper', () => {
  it.runIf(canRun('trusted'))(
    'gives the layer of the same file written dense, and the addon finds the extents Python finds',
    async () => {
      const sparse = scenario('trusted');
      sparse.change(WRITE_SPARSE);
      const file = join(sparse.upper, 'big');
      const st = lstatSync(file, { bigint: true });
      expect(st.size).toBe(BigInt(SIZE));
      expect(st.blocks * 512n, 'the copied-up file keeps its holes').toBeLessThan(BigInt(SIZE) / 16n);

      const segments = await addonSegments(file);
      expect(segments).toEqual(pythonDataSegments(file));
      expect(segments.length).toBeGreaterThanOrEqual(2);

      const dense = scenario('trusted');
      dense.prepare(`cp --sparse=never ${JSON.stringify(file)} "$T/dense.bin"`);
      dense.change(`cp --sparse=never "$T/dense.bin" big && touch -d @1700000000 big`);
      const denseFile = join(dense.upper, 'big');
      expect(lstatSync(denseFile, { bigint: true }).blocks * 512n).toBeGreaterThanOrEqual(BigInt(SIZE));

      const a = sparse.diff();
      const b = dense.diff();
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      expect(a.descriptor?.diffID).toBe(b.descriptor?.diffID);
      const sha256 = (path: string): string => execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0] ?? '';
      expect(sha256(a.layer)).toBe(sha256(b.layer));
      expect(`sha256:${sha256(a.layer)}`).toBe(a.descriptor?.diffID);
    },
    300_000,
  );
});
