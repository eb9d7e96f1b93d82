// Defines the random round-trip suite for one mount mode: recorded regressions first, then a seed range in batches.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, type Mode } from '../harness/overlay.js';
import { canRun } from '../harness/preflight.js';
import { generateCase } from './generator.js';
import { preferRealPython, runCase } from './oracle.js';

/** A seed that once failed, kept as a regression test. */
export interface Regression {
  readonly seed: number;
  readonly mode: Mode;
  readonly note: string;
}

export const REGRESSIONS_FILE = join(REPO, 'fixtures/fuzz-regressions.json');

export function readRegressions(): Regression[] {
  const parsed: unknown = JSON.parse(readFileSync(REGRESSIONS_FILE, 'utf8'));
  const list = typeof parsed === 'object' && parsed !== null && 'regressions' in parsed ? parsed.regressions : undefined;
  if (!Array.isArray(list)) throw new Error(`${REGRESSIONS_FILE}: expected { "regressions": [...] }`);
  return list.map((r: unknown, i) => {
    const ok =
      typeof r === 'object' && r !== null && 'seed' in r && Number.isInteger(r.seed) && 'mode' in r &&
      (r.mode === 'trusted' || r.mode === 'user' || r.mode === 'user-root') && 'note' in r && typeof r.note === 'string';
    if (!ok) throw new Error(`${REGRESSIONS_FILE}: regressions[${i}] needs an integer seed, a mode and a note`);
    return r as Regression;
  });
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Seeds to run per mode: FUZZ_ONLY (comma-separated seeds) if set, else FUZZ_SEEDS seeds
 * (default 150) from FUZZ_START (default 1).
 */
export function seedRange(): number[] {
  const only = process.env['FUZZ_ONLY'];
  if (only !== undefined && only !== '') {
    return only.split(',').map((s) => {
      const n = Number(s.trim());
      if (!Number.isInteger(n)) throw new Error(`FUZZ_ONLY: not a seed: ${JSON.stringify(s)}`);
      return n;
    });
  }
  const start = envInt('FUZZ_START', 1);
  return Array.from({ length: envInt('FUZZ_SEEDS', 150) }, (_, i) => start + i);
}

const BATCH = 25;
// Parsing the layer costs one more Python start; every 4th seed (and every regression) pays it.
const LAYER_CHECK_EVERY = 4;

function runSeeds(mode: Mode, seeds: readonly number[], all: boolean): void {
  const failures: string[] = [];
  for (const seed of seeds) {
    const report = runCase(generateCase(seed, mode), { checkLayer: all || seed % LAYER_CHECK_EVERY === 0 });
    if (report !== undefined) failures.push(report);
  }
  if (failures.length > 0) console.error(failures.map((f) => `=== FUZZ FAILURE ===\n${f}`).join('\n\n'));
  expect(failures.map((f) => f.split('\n', 1)[0]), failures.join('\n\n')).toEqual([]);
}

/** The suite for `mode`: one test for its recorded regressions, then one test per batch of seeds. */
export function defineFuzzSuite(mode: Mode): void {
  describe(`random round trips on a ${mode} overlay`, () => {
    const runnable = canRun(mode);
    if (runnable) preferRealPython();
    const regressions = readRegressions().filter((r) => r.mode === mode);
    // Same budget per seed as the batches: every regression is re-checked in full, and the list grows.
    it.runIf(runnable && regressions.length > 0)(`recorded regressions (${regressions.length})`, () => {
      runSeeds(mode, regressions.map((r) => r.seed), true);
    }, 20_000 * Math.max(1, regressions.length));
    const seeds = seedRange();
    for (let i = 0; i < seeds.length; i += BATCH) {
      const batch = seeds.slice(i, i + BATCH);
      const title = `seeds ${batch[0]}..${batch[batch.length - 1]}`;
      // ~1 s a seed; the budget leaves room for a slow machine.
      it.runIf(runnable)(title, () => runSeeds(mode, batch, false), 20_000 * batch.length);
    }
  });
}
