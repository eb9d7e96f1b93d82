// The golden layer: the exact bytes (and so the diffID) of an uncompressed layer diffed from a fixed tree. Any change of
// output bytes is a deliberate decision: rewrite fixtures/golden/layer.tar (as root:
// `UPDATE_GOLDEN=1 npx vitest run --project unit src/diff/golden-layer.test.ts`), update GOLDEN_DIFF_ID, and say so in CHANGELOG.md.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../fixtures/disk-tree.js';
import { GOLDEN_SOURCE_DATE_EPOCH, writeGoldenTrees } from '../../fixtures/golden/layer-tree.js';
import { listTar } from '../../fixtures/tar-members.js';
import { diff } from './diff.js';

const GOLDEN_TAR = new URL('../../fixtures/golden/layer.tar', import.meta.url);
const GOLDEN_DIFF_ID = 'sha256:2d2aec056483f5d7bfdec69f63337f51fc77e9a3bf0dc23af568cc8a4c767732';
const CHANGED = 'output bytes changed: this is a deliberate, changelogged decision — update the golden digest and CHANGELOG';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('golden');
});
afterEach(() => tmp.remove());

/** Where two byte strings first differ, as the member header (512-byte block) holding that offset. */
function firstDifference(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `first difference at byte ${i} (block ${Math.floor(i / 512)}); sizes ${a.length} and ${b.length}`;
}

// Owners and the whiteout device nodes of the fixed tree need root, as the unit suite has in CI.
describe.runIf(process.getuid?.() === 0)('golden layer', () => {
  it('diffs the fixed tree to the pinned bytes and diffID', async () => {
    const { upper, lower } = writeGoldenTrees(tmp.path);
    const output = join(tmp.path, 'layer.tar');
    const { diffID } = await diff({ upper, lowers: [lower], xattrNamespace: 'user', sourceDateEpoch: GOLDEN_SOURCE_DATE_EPOCH, output });
    const bytes = readFileSync(output);
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN_TAR, bytes);
    const golden = readFileSync(GOLDEN_TAR);
    const members = listTar(output).map((m) => `${m.type} ${m.name} ${m.mode.toString(8)} ${m.uid}:${m.gid} ${m.mtime} ${m.linkname}`);
    expect(bytes.equals(golden), `${CHANGED}\n${firstDifference(bytes, golden)}\nmembers now:\n${members.join('\n')}`).toBe(true);
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, CHANGED).toBe(GOLDEN_DIFF_ID);
    expect(diffID, CHANGED).toBe(GOLDEN_DIFF_ID);
  });
});
