// flatten -o and flatten --dir agree on every hostile-corpus archive: both refuse it, or the layer
// that -o writes, applied to an empty directory, gives exactly the tree --dir gives (same names
// refused, same symlink-parent resolution; nothing -o writes that apply would refuse).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apply } from '../src/apply/apply.js';
import { flatten } from '../src/apply/flatten.js';
import { REPO } from './harness/overlay.js';

const GENERATOR = join(REPO, 'fixtures/hostile/generate.py');
const CASES_JSON = join(REPO, 'fixtures/hostile/cases.json');
const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  if (process.env['CI'] === 'true') throw new Error('the flatten agreement test needs root');
  console.warn('skipping the flatten agreement test: needs root');
}

const work = mkdtempSync(join(tmpdir(), 'overlaydiff-flatten-agree-'));
afterAll(() => spawnSync('rm', ['-rf', work]));

// Type, mode, owner, content hash or link target of everything below `dir`, by relative path.
function manifest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    const p = join(dir, rel);
    const st = lstatSync(p);
    let what = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.rdev}`;
    if (st.isFile()) what += ` ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    if (st.isSymbolicLink()) what += ` -> ${readlinkSync(p)}`;
    if (rel !== '') out[rel] = what;
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) walk(rel === '' ? name : `${rel}/${name}`);
  };
  walk('');
  return out;
}

async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (err) {
    return err instanceof Error && 'code' in err ? String(err.code) : String(err);
  }
}

describe.runIf(isRoot)('flatten -o against flatten --dir', () => {
  it('agrees on every hostile-corpus archive without a prepared target', async () => {
    const corpus = join(work, 'corpus');
    const r = spawnSync('python3', [GENERATOR, corpus], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`generator failed: ${r.stderr}`);
    const cases = (JSON.parse(readFileSync(CASES_JSON, 'utf8')) as { archive: string; setup?: object }[]).filter((c) => c.setup === undefined);
    const disagreements: string[] = [];
    let bothApplied = 0;
    for (const { archive } of cases) {
      const layer = join(corpus, archive);
      const viaDir = join(work, 'dir');
      const viaTar = join(work, 'tar');
      const flat = join(work, 'flat.tar');
      // rm(1): a refused archive may leave a tree ~2000 levels deep, beyond rmSync's recursion.
      spawnSync('rm', ['-rf', viaDir, viaTar, flat]);
      mkdirSync(viaDir);
      mkdirSync(viaTar);
      const dirOutcome = await outcome(() => apply({ layer, dir: viaDir }));
      const tarOutcome = await outcome(() => flatten({ layers: [layer], output: flat, tempDir: work }));
      if (dirOutcome !== tarOutcome && (dirOutcome === 'ok' || tarOutcome === 'ok')) {
        disagreements.push(`${archive}: --dir ${dirOutcome}, -o ${tarOutcome}`);
        continue;
      }
      if (tarOutcome === 'ok') {
        const applied = await outcome(() => apply({ layer: flat, dir: viaTar }));
        if (applied !== 'ok') disagreements.push(`${archive}: flatten -o wrote a layer that apply refuses (${applied})`);
      }
      if (dirOutcome !== 'ok') continue;
      bothApplied++;
      const [a, b] = [manifest(viaDir), manifest(viaTar)];
      // flatten writes no mtimes of directories it made implicitly; compare what both decide.
      if (JSON.stringify(a) !== JSON.stringify(b)) disagreements.push(`${archive}: trees differ\n--dir ${JSON.stringify(a)}\n-o    ${JSON.stringify(b)}`);
    }
    console.log(`flatten agreement: ${cases.length} archives, ${bothApplied} applied by both`);
    expect(disagreements).toEqual([]);
    expect(bothApplied).toBeGreaterThan(20);
  });
});
