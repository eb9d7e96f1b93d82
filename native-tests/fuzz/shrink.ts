// Shrinks a failing fuzz seed: greedily drops operation lines of the case while it keeps failing the same way, and returns
// the minimal case's report. A hand tool, run by shrink.mjs (`make shrink SEED=86 MODE=trusted`), not part of the suite.
import type { Mode } from '../harness/overlay.js';
import { generateCase, type FuzzCase } from './generator.js';
import { describeCase, preferRealPython, runCase } from './oracle.js';

/** The kind of a report: its first difference line with names and values left out, e.g. "~ xattrs". */
export function failureSignature(report: string | undefined): string | undefined {
  if (report === undefined) return undefined;
  const diff = report.split('\n').find((l) => /^ {2}[~+-] /.test(l));
  if (diff === undefined) return report.includes('--- overlaydiff exited') ? 'exit' : 'harness';
  const m = /^ {2}([~+-]) (hardlink group|.*?: (\w+))/.exec(diff);
  return m === null ? diff : `${m[1]} ${m[3] ?? m[2]}`;
}

type Part = 'prepare' | 'squash' | 'change';

function withLines(c: FuzzCase, part: Part, lines: string[]): FuzzCase {
  return { ...c, [part]: lines.join('\n') };
}

/**
 * The smallest case of `seed` in `mode` that still fails with the same signature, as a printable report, or undefined when
 * the seed does not fail. `log` hears about each dropped line. Each trial is one real round trip (root, overlay mounts).
 */
export function shrinkSeed(seed: number, mode: Mode, log: (line: string) => void = () => {}): string | undefined {
  preferRealPython();
  let c = generateCase(seed, mode);
  const want = failureSignature(runCase(c, { checkLayer: false }));
  if (want === undefined) return undefined;
  log(`seed ${seed} (${mode}) fails with "${want}"; dropping operations`);
  let progress = true;
  while (progress) {
    progress = false;
    for (const part of ['change', 'squash', 'prepare'] as const) {
      const text = c[part];
      if (text === undefined) continue;
      const lines = text.split('\n');
      // Only guarded operations ("{ ...; } ... || true") are dropped; the prelude and fix-ups stay.
      for (let i = lines.length - 1; i >= 0; i--) {
        if (!lines[i]?.startsWith('{ ')) continue;
        const trial = withLines(c, part, [...lines.slice(0, i), ...lines.slice(i + 1)]);
        if (failureSignature(runCase(trial, { checkLayer: false })) === want) {
          log(`  dropped ${part} line ${i + 1}: ${lines[i]}`);
          lines.splice(i, 1);
          c = trial;
          progress = true;
        }
      }
    }
  }
  return `minimal case (${want}):\n${runCase(c, { checkLayer: false }) ?? describeCase(c)}`;
}
