// The public API as a caller sees it: every long operation ends with E_ABORTED on abort, before or mid-way.
import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  apply,
  applyMounts,
  changes,
  diff,
  diffMounts,
  diffToLayout,
  flatten,
  fsck,
  gc,
  inspectImage,
  inspectLayer,
  removeTag,
  verify,
  type ProgressListener,
} from './index.js';
import { withLayoutLock } from './store/lock.js';
import { tempDirs } from '../fixtures/temp-dirs.js';

let root: string;
let upper: string;
let lower: string;
beforeEach(() => {
  const dirs = tempDirs('overlaydiff-api-', 'upper', 'lower');
  ({ root, upper, lower } = dirs);
  mkdirSync(join(upper, 'd'));
  for (const name of ['a', 'b', 'c', 'd/e', 'd/f']) writeFileSync(join(upper, name), `data of ${name}\n`.repeat(100));
  return dirs.remove;
});

const at = (name: string): string => join(root, name);
const aborted = (): AbortSignal => AbortSignal.abort(new Error('stop'));
const E_ABORTED = { code: 'E_ABORTED' };

/** A signal and a progress listener that fires it at the first report: the operation is then mid-way. */
function abortAtFirstProgress(): { signal: AbortSignal; onProgress: ProgressListener } {
  const controller = new AbortController();
  return { signal: controller.signal, onProgress: () => controller.abort(new Error('enough')) };
}

async function layer(name = 'layer.tar'): Promise<string> {
  await diff({ upper, output: at(name) });
  return at(name);
}

async function layout(): Promise<string> {
  const dir = at('layout');
  await diffToLayout({ upper, layout: dir, tag: 'one' });
  writeFileSync(join(upper, 'a'), 'changed');
  await diffToLayout({ upper, layout: dir, tag: 'two' });
  return dir;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('an aborted signal gives E_ABORTED', () => {
  it('diff, and a path output is not created', async () => {
    await expect(diff({ upper, output: at('x.tar'), signal: aborted() })).rejects.toMatchObject({ ...E_ABORTED, message: 'aborted: stop' });
    await expect(diff({ upper, output: at('y.tar'), ...abortAtFirstProgress() })).rejects.toMatchObject(E_ABORTED);
    expect(readdirSync(root).sort()).toEqual(['lower', 'upper']);
  });

  it('diffMounts and diffToLayout', async () => {
    const mounts = { upper: [{ type: 'bind', source: upper, options: ['rbind'] }] };
    await expect(diffMounts({ ...mounts, output: at('x.tar'), signal: aborted() })).rejects.toMatchObject(E_ABORTED);
    await expect(diffToLayout({ upper, layout: at('layout'), signal: aborted() })).rejects.toMatchObject(E_ABORTED);
    await expect(diffToLayout({ upper, layout: at('layout'), ...abortAtFirstProgress() })).rejects.toMatchObject(E_ABORTED);
  });

  it('changes, before the first change or mid-way', async () => {
    await expect(collect(changes({ upper, signal: aborted() }))).rejects.toMatchObject(E_ABORTED);
    const controller = new AbortController();
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const change of changes({ upper, signal: controller.signal })) {
          seen.push(change.kind);
          controller.abort();
        }
      })(),
    ).rejects.toMatchObject(E_ABORTED);
    expect(seen).toHaveLength(1);
  });

  it('apply and applyMounts', async () => {
    const blob = await layer();
    mkdirSync(at('t1'));
    mkdirSync(at('t2'));
    await expect(apply({ layer: blob, dir: at('t1'), signal: aborted() })).rejects.toMatchObject(E_ABORTED);
    await expect(apply({ layer: blob, dir: at('t1'), ...abortAtFirstProgress() })).rejects.toMatchObject(E_ABORTED);
    const mounts = [{ type: 'bind', source: at('t2'), options: ['rw', 'rbind'] }];
    await expect(applyMounts({ layer: blob, mounts, signal: aborted() })).rejects.toMatchObject(E_ABORTED);
    await expect(applyMounts({ layer: blob, mounts, ...abortAtFirstProgress() })).rejects.toMatchObject(E_ABORTED);
  });

  it('flatten, and a path output is not created', async () => {
    const blob = await layer();
    await expect(flatten({ layers: [blob, blob], output: at('f.tar'), signal: aborted() })).rejects.toMatchObject(E_ABORTED);
    await expect(flatten({ layers: [blob, blob], output: at('f.tar'), ...abortAtFirstProgress() })).rejects.toMatchObject(E_ABORTED);
    expect(existsSync(at('f.tar'))).toBe(false);
  });

  it('verify', async () => {
    const blob = await layer();
    const options = { layer: blob, lowers: [lower], merged: upper, xattrNamespace: 'user' as const };
    expect((await verify(options)).mismatches).toEqual([]);
    await expect(verify({ ...options, signal: aborted() })).rejects.toMatchObject(E_ABORTED);
    await expect(verify({ ...options, ...abortAtFirstProgress() })).rejects.toMatchObject(E_ABORTED);
  });

  it('inspectLayer and inspectImage', async () => {
    const blob = await layer();
    await expect(inspectLayer({ layer: blob, signal: aborted() })).rejects.toMatchObject(E_ABORTED);
    await expect(inspectLayer({ layer: blob, ...abortAtFirstProgress() })).rejects.toMatchObject(E_ABORTED);
    const dir = await layout();
    await expect(inspectImage({ layout: dir, tag: 'one', signal: aborted() })).rejects.toMatchObject(E_ABORTED);
    await expect(inspectImage({ layout: dir, tag: 'one', ...abortAtFirstProgress() })).rejects.toMatchObject(E_ABORTED);
  });

  it('fsck', async () => {
    const dir = await layout();
    await expect(fsck({ layout: dir, signal: aborted() })).rejects.toMatchObject(E_ABORTED);
    await expect(fsck({ layout: dir, ...abortAtFirstProgress() })).rejects.toMatchObject(E_ABORTED);
    expect(await fsck({ layout: dir })).toMatchObject({ ok: true });
  });

  it('gc, between deletions', async () => {
    const dir = await layout();
    await expect(gc({ layout: dir, signal: aborted() })).rejects.toMatchObject(E_ABORTED);
    await removeTag({ layout: dir, tag: 'one' });
    // Old enough for any grace period: the unreferenced blobs of tag one (manifest, config, layer).
    const old = new Date(Date.now() - 3600_000);
    for (const name of readdirSync(join(dir, 'blobs/sha256'))) utimesSync(join(dir, 'blobs/sha256', name), old, old);
    const before = readdirSync(join(dir, 'blobs/sha256')).length;
    await expect(gc({ layout: dir, graceMs: 0, ...abortAtFirstProgress() })).rejects.toMatchObject(E_ABORTED);
    expect(readdirSync(join(dir, 'blobs/sha256'))).toHaveLength(before - 1);
    expect((await gc({ layout: dir, graceMs: 0 })).deleted).toHaveLength(2);
  });

  it('removeTag, while it waits for the layout lock', async () => {
    const dir = await layout();
    await expect(removeTag({ layout: dir, tag: 'one', signal: aborted() })).rejects.toMatchObject(E_ABORTED);
    let release = (): void => {};
    let locked = (): void => {};
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = withLayoutLock(dir, () => {
      locked();
      return new Promise<void>((resolve) => (release = resolve));
    });
    await isLocked;
    const controller = new AbortController();
    const waiting = removeTag({ layout: dir, tag: 'one', signal: controller.signal });
    controller.abort(new Error('no time'));
    await expect(waiting).rejects.toMatchObject({ ...E_ABORTED, message: 'aborted: no time' });
    release();
    await holder;
    expect(await removeTag({ layout: dir, tag: 'one' })).toBe(1);
  });
});

describe("the README's library section", () => {
  const source = readFileSync(new URL('./index.ts', import.meta.url), 'utf8');
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Library'), readme.indexOf('\n## ', readme.indexOf('## Library') + 1));
  // Every name index.ts exports: `export { a, type B } from` and `export type { C } from`.
  const exported = [...source.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((n) => n.trim().replace(/^type /, ''))
      .filter((n) => n !== ''),
  );

  it('names every export of index.ts', () => {
    expect(exported.length).toBeGreaterThan(40);
    expect(exported.filter((name) => !section.includes(`\`${name}\``) && !section.includes(`\`${name}(`))).toEqual([]);
  });

  it('lists as functions only what index.ts exports, with one options object each', async () => {
    const api = (await import('./index.js')) as Record<string, unknown>;
    const rows = [...section.matchAll(/^\| `(\w+)\((\w*)\)` \|/gm)];
    expect(rows.length).toBeGreaterThan(10);
    for (const [, name, parameter] of rows) {
      expect(typeof api[name!], name).toBe('function');
      expect(parameter, name).toBe('options');
      expect((api[name!] as (...args: unknown[]) => unknown).length, name).toBe(1);
    }
    const functions = Object.entries(api).filter(([, v]) => typeof v === 'function' && !/^[A-Z]/.test((v as { name: string }).name));
    const listed = new Set(rows.map((r) => r[1]));
    expect(
      functions
        .map(([name]) => name)
        .filter((name) => !listed.has(name))
        .sort(),
    ).toEqual(['displayPath', 'isValidRefName']);
  });
});
