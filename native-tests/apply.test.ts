// Our applier against the kernel: a layer diffed from a real overlay, applied by overlaydiff (plain)
// onto the lowers' merged view, or unpacked in overlay format and mounted as a real lower, must
// show the snapshot's merged view.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { expectSameTree } from './harness/layer.js';
import { REPO, namespaceOf, type Manifest, type Scenario } from './harness/overlay.js';
import { forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const scenario = useScenarios();
const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const MANIFEST = join(REPO, 'native-tests/harness/manifest.py');

// Runs a bash script as real root, or inside `unshare -Urm` for the rootless mode.
function run(s: Scenario, script: string): string {
  const argv = s.mode === 'user' ? ['unshare', '-Urm', 'bash', '-euo', 'pipefail', '-c', script] : ['bash', '-euo', 'pipefail', '-c', script];
  const r = spawnSync(argv[0]!, argv.slice(1), { env: { ...process.env, ...s.env, CLI, NODE: process.execPath, MANIFEST }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`script failed (${r.status}): ${script}\n${r.stderr}`);
  return r.stdout;
}

// Mounts an upper-less overlay of `lowers` (topmost first; an empty bottom lowerdir makes a single
// layer mountable) at $M for `script`, always unmounting.
function withLowers(s: Scenario, lowers: string[], script: string): string {
  const opts = [`lowerdir=${[...lowers, join(s.root, 'empty')].join(':')}`, ...(s.mode === 'trusted' ? [] : ['userxattr'])].join(',');
  return run(s, `mount -t overlay overlay -o '${opts}' "$M"\ntrap 'cd /; umount "$M"' EXIT\n${script}`);
}

const manifestOf = (s: Scenario, dir: string): Manifest => JSON.parse(run(s, `python3 "$MANIFEST" '${dir}'`)) as Manifest;

function prepareSnapshot(s: Scenario): void {
  const ns = namespaceOf(s.mode);
  s.prepare(`
    mkdir -p $L1/app/lib $L1/opq/sub $L1/swap/d2f $L1/keep
    echo v1 > $L1/app/version; echo lib > $L1/app/lib/x.so; echo o > $L1/opq/sub/old; echo o > $L1/opq/old
    echo f > $L1/swap/f2d; touch $L1/swap/d2f/in; echo gone > $L1/gone; ln -s app/version $L1/vlink
    mkdir -p $L0/app $L0/keep; echo tool > $L0/app/tool; mknod $L0/gone c 0 0; echo back > $L0/back
    python3 -c 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], b"y")' $L0/keep ${ns === 'trusted' ? 'user' : 'trusted'}.overlay.opaque
  `);
  s.change(`
    echo v2 >> app/version; rm app/tool; rm back
    rm -rf opq && mkdir -p opq/new && echo n > opq/new/f
    rm swap/f2d && mkdir swap/f2d && echo in > swap/f2d/x
    rm -rf swap/d2f && echo file > swap/d2f
    ln app/version app/version.hard; ln -sf ../app/lib/x.so app/rel; mkfifo fifo
    setfattr -n user.note -v "$(printf 'a\\nb')" app/version
    echo bytes > "$(printf 'non-utf8-\\377')"; chmod 4755 app/version; touch keep/new
  `);
}

describe('overlaydiff apply on real overlay layers', () => {
  forModes(['trusted', 'user'] as const, "%s: a plain apply onto the lowers' merged view reproduces the snapshot", (mode) => {
    const s = scenario(mode, 2);
    prepareSnapshot(s);
    const diff = s.diff();
    expect(diff.code, diff.stderr).toBe(0);
    const merged = s.mergedManifest();
    const base = join(s.root, 'mine');
    mkdirSync(base);
    withLowers(s, s.lowers, `cp -a "$M"/. '${base}'/`);
    const out = run(s, `"$NODE" "$CLI" apply '${diff.layer}' '${base}' --diff-id ${diff.descriptor!.diffID} --json`);
    const result = JSON.parse(out) as Record<string, unknown>;
    expect(result).toMatchObject({ diffID: diff.descriptor!.diffID, devicesSkipped: 0, privateXattrsDropped: 0 });
    expect(result['whiteouts']).toBeGreaterThan(0);
    expect(result['opaqueDirs']).toBe(1);
    expectSameTree(merged, manifestOf(s, base));
  });

  forModes(['trusted', 'user'] as const, '%s: an overlay-format unpack mounts as a lower and shows the snapshot', (mode) => {
    const s = scenario(mode, 2);
    prepareSnapshot(s);
    const diff = s.diff();
    expect(diff.code, diff.stderr).toBe(0);
    const merged = s.mergedManifest();
    const ns = namespaceOf(mode);
    const layerDir = join(s.root, 'unpacked');
    mkdirSync(layerDir);
    run(s, `"$NODE" "$CLI" apply '${diff.layer}' '${layerDir}' --format overlay --xattr-namespace ${ns} --json`);
    const viaMount = JSON.parse(withLowers(s, [layerDir, ...s.lowers], `python3 "$MANIFEST" "$M"`)) as Manifest;
    expectSameTree(merged, viaMount);
    // Read as real root, where both namespaces are visible: only `ns` carries overlay attributes.
    const other = ns === 'trusted' ? 'user' : 'trusted';
    const found = execFileSync(
      'python3',
      [
        '-c',
        `import os,sys
for d, dirs, files in os.walk(sys.argv[1]):
    for n in dirs + files:
        p = os.path.join(d, n)
        for x in os.listxattr(p, follow_symlinks=False):
            if '.overlay.' in x: print(os.path.relpath(p, sys.argv[1]), x)`,
        layerDir,
      ],
      { encoding: 'utf8' },
    );
    expect(found.trim().split('\n').sort()).toEqual([`opq ${ns}.overlay.opaque`]);
    expect(found).not.toContain(`${other}.overlay.`);
  });
});
