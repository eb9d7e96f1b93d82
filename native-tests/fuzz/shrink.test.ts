// Hand tool, collected only when FUZZ_SHRINK=<seed>:<mode> is set (vitest.config.ts): greedily drops operation lines of a failing
// case while it keeps failing the same way, then prints the minimal scripts.
import { describe, expect, it } from 'vitest';
import type { Mode } from '../harness/overlay.js';
import { generateCase, type FuzzCase } from './generator.js';
import { describeCase, preferRealPython, runCase } from './oracle.js';

const target = process.env['FUZZ_SHRINK'];

/** The kind of a report: its first difference line with names and values left out, e.g. "~ xattrs". */
function signature(report: string | undefined): string | undefined {
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

describe.runIf(target !== undefined)('shrink a failing fuzz seed', () => {
  it('drops operations while the failure keeps its kind', () => {
    const [seedText, modeText] = (target ?? '').split(':');
    const mode = (modeText ?? 'trusted') as Mode;
    preferRealPython();
    let c = generateCase(Number(seedText), mode);
    const want = signature(runCase(c, { checkLayer: false }));
    expect(want, 'the seed does not fail').toBeDefined();
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
          if (signature(runCase(trial, { checkLayer: false })) === want) {
            lines.splice(i, 1);
            c = trial;
            progress = true;
          }
        }
      }
    }
    console.log(`minimal case (${want}):\n${runCase(c, { checkLayer: false }) ?? describeCase(c)}`);
  }, 1_800_000);
});
