// The overlaydiff CLI with fault injection, for the crash and race tests: the built CLI plus hooks
// at the store's fault points, driven by the environment. Not part of the package.
//   OVERLAYDIFF_TEST_CRASH_AT=<step>            SIGKILL this process at that step (as on power loss)
//   OVERLAYDIFF_TEST_PAUSE_BEFORE_INDEX=FILE    create FILE after the blobs are stored, wait until it is removed
import { existsSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { installFaultHooks } from '../../dist/store/fault-points.js';
import { main } from '../../dist/cli/main.js';

installFaultHooks({
  at(step) {
    if (process.env.OVERLAYDIFF_TEST_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
  },
  async beforeIndex() {
    const file = process.env.OVERLAYDIFF_TEST_PAUSE_BEFORE_INDEX;
    if (file === undefined || file === '') return;
    writeFileSync(file, `${process.pid}\n`);
    while (existsSync(file)) await sleep(20);
  },
});
process.exitCode = await main(process.argv.slice(2));
