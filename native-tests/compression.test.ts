// gzip and zstd layers of a real overlay snapshot: same diffID as the plain tar, blob digest = sha256
// of the file, and `overlaydiff apply` of each onto the lowers' merged view gives the snapshot.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { expectSameTree } from './harness/layer.js';
import { REPO, type Manifest, type Scenario } from './harness/overlay.js';
import { forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const scenario = useScenarios();
const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const MANIFEST = join(REPO, 'native-tests/harness/manifest.py');
const hasZstdCli = spawnSync('zstd', ['--version']).status === 0;

function run(s: Scenario, script: string): string {
  const argv = s.mode === 'user' ? ['unshare', '-Urm', 'bash', '-euo', 'pipefail', '-c', script] : ['bash', '-euo', 'pipefail', '-c', script];
  const r = spawnSync(argv[0]!, argv.slice(1), { env: { ...process.env, ...s.env, CLI, NODE: process.execPath, MANIFEST }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`script failed (${r.status}): ${script}\n${r.stderr}`);
  return r.stdout;
}

function withLowers(s: Scenario, script: string): string {
  const opts = [`lowerdir=${[...s.lowers, join(s.root, 'empty')].join(':')}`, ...(s.mode === 'trusted' ? [] : ['userxattr'])].join(',');
  return run(s, `mount -t overlay overlay -o '${opts}' "$M"\ntrap 'cd /; umount "$M"' EXIT\n${script}`);
}

// Prints "one member N" when the file is exactly one gzip member (nothing after its trailer) of N bytes.
const ONE_MEMBER_PY = `
import sys, zlib
data = open(sys.argv[1], 'rb').read()
d = zlib.decompressobj(31)
out = d.decompress(data)
print('one member' if d.eof and not d.unused_data else 'not one member', len(out))
`;

const sha256File = (path: string): string => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;

function prepareSnapshot(s: Scenario): void {
  s.prepare(`
    mkdir -p $L1/app/lib $L1/opq/sub $L1/keep
    echo v1 > $L1/app/version; echo lib > $L1/app/lib/x.so; echo o > $L1/opq/sub/old; echo gone > $L1/gone
    mkdir -p $L0/app; echo tool > $L0/app/tool
  `);
  s.change(`
    echo v2 >> app/version; rm app/tool gone
    rm -rf opq && mkdir -p opq/new && echo n > opq/new/f
    head -c 3000000 /dev/urandom > app/random.bin; seq 1 400000 > app/numbers.txt
    ln app/version app/version.hard; ln -s ../app/lib/x.so app/rel; mkfifo fifo
    setfattr -n user.note -v note app/version; touch keep/new
  `);
}

describe('compressed layers of a real overlay', () => {
  forModes(['trusted', 'user'] as const, '%s: gzip and zstd layers carry the plain diffID and apply to the snapshot', (mode) => {
    const s = scenario(mode, 2);
    prepareSnapshot(s);
    const plain = s.diff();
    expect(plain.code, plain.stderr).toBe(0);
    const diffID = plain.descriptor!.diffID;
    expect(sha256File(plain.layer)).toBe(diffID);
    const merged = s.mergedManifest();
    for (const [compression, level] of [
      ['gzip', '6'],
      ['zstd', '3'],
      ['zstd', '19'],
    ] as const) {
      const d = s.diff(['--compression', compression, '--level', level], `layer-${level}.${compression}`);
      expect(d.code, d.stderr).toBe(0);
      const descriptor = d.descriptor as unknown as { mediaType: string; digest: string; size: number; diffID: string };
      expect(descriptor.mediaType).toBe(`application/vnd.oci.image.layer.v1.tar+${compression}`);
      expect(descriptor.diffID).toBe(diffID);
      expect(descriptor.digest).toBe(sha256File(d.layer));
      expect(descriptor.size).toBe(readFileSync(d.layer).length);
      expect(descriptor.size).toBeLessThan(plain.descriptor!.size);
      if (compression === 'gzip') {
        // One member, read whole by gzip -t and by a reader that stops after the first member.
        expect(spawnSync('gzip', ['-t', d.layer]).status).toBe(0);
        const member = spawnSync('python3', ['-c', ONE_MEMBER_PY, d.layer], { encoding: 'utf8' });
        expect(member.stdout.trim(), member.stderr).toBe(`one member ${plain.descriptor!.size}`);
      }
      if (compression === 'zstd') {
        if (hasZstdCli) {
          const out = spawnSync('zstd', ['-d', '-c', '-q', d.layer], { maxBuffer: 256 << 20 });
          expect(out.status).toBe(0);
          expect(`sha256:${createHash('sha256').update(out.stdout).digest('hex')}`).toBe(diffID);
        } else {
          if (process.env['CI'] === 'true') throw new Error('the zstd CLI is missing under CI (make deps installs Debian package "zstd")');
          console.log('skipped the zstd CLI check: the zstd CLI is not installed (Debian package "zstd")');
        }
      }
      const base = join(s.root, `applied-${compression}-${level}`);
      mkdirSync(base);
      withLowers(s, `cp -a "$M"/. '${base}'/`);
      const result = JSON.parse(run(s, `"$NODE" "$CLI" apply '${d.layer}' '${base}' --diff-id ${diffID} --json`)) as Record<string, unknown>;
      expect(result).toMatchObject({ diffID, digest: descriptor.digest, compression });
      expectSameTree(merged, JSON.parse(run(s, `python3 "$MANIFEST" '${base}'`)) as Manifest);
    }
    // Deterministic: the same snapshot gives the same zstd and gzip blobs.
    const again = s.diff(['--compression', 'zstd', '--level', '3'], 'again.zstd');
    expect(again.descriptor?.digest).toBe(sha256File(join(s.root, 'layer-3.zstd')));
    const againGzip = s.diff(['--compression', 'gzip', '--level', '6'], 'again.gzip');
    expect(againGzip.descriptor?.digest).toBe(sha256File(join(s.root, 'layer-6.gzip')));
  });
});
