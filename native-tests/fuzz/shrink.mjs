#!/usr/bin/env node
// Shrinks a failing fuzz seed to a minimal case: `make shrink SEED=86 MODE=trusted` (root; the Makefile runs it in its own
// mount and pid namespaces), or by hand: `unshare --mount --propagation private --pid --fork --mount-proc
// node native-tests/fuzz/shrink.mjs 86 trusted`. Needs `make build` (each trial runs the built CLI). Exit status: 0 with the
// minimal case printed, 1 when the seed does not fail, 2 on bad arguments.
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const [seedText, mode = 'trusted'] = process.argv.slice(2);
if (seedText === undefined || !/^\d+$/.test(seedText) || (mode !== 'trusted' && mode !== 'user')) {
  console.error('usage: shrink.mjs SEED [trusted|user]');
  process.exit(2);
}
// The harness is TypeScript: vite's module runner (a devDependency through vitest) loads it without a build step.
const { module } = await runnerImport(fileURLToPath(new URL('./shrink.ts', import.meta.url)));
const report = module.shrinkSeed(Number(seedText), mode, (line) => console.error(line));
if (report === undefined) {
  console.error(`seed ${seedText} (${mode}) does not fail: nothing to shrink`);
  process.exit(1);
}
console.log(report);
