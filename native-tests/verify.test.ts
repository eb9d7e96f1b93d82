// verify against a live merged view: a correct layer has no mismatch, a stale one is caught.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { REPO, namespaceOf } from './harness/overlay.js';
import { forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const scenario = useScenarios();

describe('overlaydiff verify', () => {
  forModes(['trusted', 'user'] as const, '%s: passes for the right layer and names what a stale layer misses', (mode) => {
    const s = scenario(mode, 2);
    s.prepare('mkdir -p $L1/d $L0/e; echo 1 > $L1/d/f; echo x > $L1/gone; ln $L1/d/f $L1/d/g; echo e > $L0/e/h');
    s.change('echo 2 >> d/f; rm gone; mkdir n && echo n > n/new; chmod 600 e/h');
    const good = s.diff([], 'good.tar');
    s.change('echo late > late; chmod 700 n');
    const verify = (layer: string): string =>
      `${process.execPath} ${CLI} verify --layer ${layer} --lower ${s.lowers.join(':')} --merged "$M" --xattr-namespace ${namespaceOf(mode)} --json > ${layer}.json || echo $? > ${layer}.status`;
    const fresh = s.diff([], 'fresh.tar');
    s.change(`${verify(good.layer)}\n${verify(fresh.layer)}`);
    const read = (path: string): string => readFileSync(path, 'utf8');
    const freshResult = JSON.parse(read(`${fresh.layer}.json`)) as { mismatches: { path: string; what: string }[] };
    expect(freshResult.mismatches).toEqual([]);
    const stale = JSON.parse(read(`${good.layer}.json`)) as { mismatches: { path: string; what: string }[] };
    expect(stale.mismatches.map((m) => m.path).sort()).toEqual(['late', 'n']);
    expect(read(`${good.layer}.status`).trim()).toBe('1');
  });
});
