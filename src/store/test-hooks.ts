// Fault injection for the crash and race tests; inert unless the OVERLAYDIFF_TEST_* variables are set.
import { existsSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Kills this process with SIGKILL when `OVERLAYDIFF_TEST_CRASH_AT` names `step`: the process
 * stops dead (no finally, no cleanup), as on power loss or the OOM killer.
 */
export function crashPoint(step: string): void {
  if (process.env['OVERLAYDIFF_TEST_CRASH_AT'] === step) process.kill(process.pid, 'SIGKILL');
}

/**
 * With `OVERLAYDIFF_TEST_PAUSE_BEFORE_INDEX=FILE`: creates FILE and waits until it is removed.
 * Called after a writer has stored its blobs and before it takes the index lock, so a test can
 * run GC in exactly the window the grace period protects.
 */
export async function pauseBeforeIndex(): Promise<void> {
  const file = process.env['OVERLAYDIFF_TEST_PAUSE_BEFORE_INDEX'];
  if (file === undefined || file === '') return;
  writeFileSync(file, `${process.pid}\n`);
  while (existsSync(file)) await sleep(20);
}
