// Defines the random round-trip suite for one mount mode: recorded regressions first, then a seed range in batches.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, type Mode } from '../harness/overlay.js';
import { canRun } from '../harness/preflight.js';
import { FEATURES } from '../harness/features.js';
import { generateCase, generateFeatureCase } from './generator.js';
import { classifyCase, preferRealPython, runCase } from './oracle.js';

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
      typeof r === 'object' &&
      r !== null &&
      'seed' in r &&
      Number.isInteger(r.seed) &&
      'mode' in r &&
      (r.mode === 'trusted' || r.mode === 'user' || r.mode === 'user-root') &&
      'note' in r &&
      typeof r.note === 'string';
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
 * Seeds to run per mode: FUZZ_ONLY (comma-separated seeds) if set, else `countVariable` seeds
 * (default `fallback`) from FUZZ_START (default 1).
 */
export function seedRange(countVariable = 'FUZZ_SEEDS', fallback = 150): number[] {
  const only = process.env['FUZZ_ONLY'];
  if (only !== undefined && only !== '') {
    return only.split(',').map((s) => {
      const n = Number(s.trim());
      if (!Number.isInteger(n)) throw new Error(`FUZZ_ONLY: not a seed: ${JSON.stringify(s)}`);
      return n;
    });
  }
  const start = envInt('FUZZ_START', 1);
  return Array.from({ length: envInt(countVariable, fallback) }, (_, i) => start + i);
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
  expect(
    failures.map((f) => f.split('\n', 1)[0]),
    failures.join('\n\n'),
  ).toEqual([]);
}

/** The suite for `mode`: one test for its recorded regressions, then one test per batch of seeds. */
export function defineFuzzSuite(mode: Mode): void {
  describe(`random round trips on a ${mode} overlay`, () => {
    const runnable = canRun(mode);
    if (runnable) preferRealPython();
    const regressions = readRegressions().filter((r) => r.mode === mode);
    // Same budget per seed as the batches: every regression is re-checked in full, and the list grows.
    it.runIf(runnable && regressions.length > 0)(
      `recorded regressions (${regressions.length})`,
      () => {
        runSeeds(
          mode,
          regressions.map((r) => r.seed),
          true,
        );
      },
      20_000 * Math.max(1, regressions.length),
    );
    const seeds = seedRange();
    for (let i = 0; i < seeds.length; i += BATCH) {
      const batch = seeds.slice(i, i + BATCH);
      const title = `seeds ${batch[0]}..${batch[batch.length - 1]}`;
      // ~1 s a seed; the budget leaves room for a slow machine.
      it.runIf(runnable)(title, () => runSeeds(mode, batch, false), 20_000 * batch.length);
    }
  });
}

/** Refusals a feature case may end in: the differ cannot read state the kernel keeps outside the upper. */
export const EXPECTED_REFUSALS: readonly RegExp[] = [/mounted with index=on.*pass --workdir/];

/**
 * Feature cases (redirect_dir, metacopy, index over a committed chain of lowers): a wrong layer or
 * an unexpected refusal fails its batch; the counts (correct, refused by reason, wrong) are printed
 * at the end of the file, for the record of a long run. `part`/`parts` split the seeds between
 * files so vitest runs them on every core.
 */
export function defineFeatureFuzzSuite(part: number, parts: number): void {
  describe(`random round trips with ${FEATURES.join(',')} (part ${part + 1}/${parts})`, () => {
    const runnable = canRun('trusted');
    if (runnable) preferRealPython();
    const counts = { correct: 0, wrong: 0, refused: new Map<string, number>() };
    afterAll(() => {
      const refused = [...counts.refused].map(([reason, n]) => `    ${n} × ${reason}`).join('\n');
      const total = counts.correct + counts.wrong + [...counts.refused.values()].reduce((a, b) => a + b, 0);
      console.log(
        `feature fuzz part ${part + 1}/${parts}: ${total} cases, ${counts.correct} correct, ${total - counts.correct - counts.wrong} refused, ${counts.wrong} wrong${refused === '' ? '' : `\n  refusals:\n${refused}`}`,
      );
    });
    const seeds = seedRange('FUZZ_FEATURE_SEEDS', 24).filter((_, i) => i % parts === part);
    for (let i = 0; i < seeds.length; i += BATCH) {
      const batch = seeds.slice(i, i + BATCH);
      it.runIf(runnable)(
        `seeds ${batch.join(',').slice(0, 60)}`,
        () => {
          const failures: string[] = [];
          for (const seed of batch) {
            const outcome = classifyCase(generateFeatureCase(seed), { checkLayer: true });
            if (outcome.kind === 'correct') counts.correct++;
            else if (outcome.kind === 'wrong') counts.wrong++;
            else counts.refused.set(outcome.reason, (counts.refused.get(outcome.reason) ?? 0) + 1);
            const expected = outcome.kind === 'refused' && EXPECTED_REFUSALS.some((r) => r.test(outcome.reason));
            if (outcome.kind !== 'correct' && !expected) failures.push(`seed ${seed}: ${outcome.kind}\n${outcome.report}`);
          }
          if (failures.length > 0) console.error(failures.map((f) => `=== FEATURE FUZZ FAILURE ===\n${f}`).join('\n\n'));
          expect(
            failures.map((f) => f.split('\n', 1)[0]),
            failures.join('\n\n'),
          ).toEqual([]);
        },
        30_000 * batch.length,
      );
    }
  });
}
