// Named points in the store's write and GC sequences where a test harness may inject faults; no-ops unless one is installed.
//
// The package itself never crashes or pauses on purpose: it has no switch (no environment variable)
// that turns a fault on. Only code running in the same process can install hooks, and only the
// test harness does (native-tests/harness/fault-cli.mjs, which then runs the CLI). The module is
// internal: the package's exports do not reach it.

/** What a harness does at the fault points. */
export interface FaultHooks {
  /** Called at each named step; a crash test kills the process here. */
  readonly at: (step: string) => void;
  /** Awaited after a writer stored its blobs and before it takes the index lock. */
  readonly beforeIndex: () => Promise<void>;
}

let installed: FaultHooks | undefined;

/** Installs `hooks` for the rest of this process (the test harness's entry point calls it first). */
export function installFaultHooks(hooks: FaultHooks): void {
  installed = hooks;
}

/** Marks the named step; a crash test may stop the process dead here (no finally, no cleanup). */
export function crashPoint(step: string): void {
  installed?.at(step);
}

/** The window between storing blobs and publishing them, where a race test runs GC. */
export async function pauseBeforeIndex(): Promise<void> {
  await installed?.beforeIndex();
}
