// Runs a command with an AbortSignal that SIGINT and SIGTERM fire, so outputs are cleaned up on ^C.
import { OverlaydiffError } from '../errors.js';

/** Calls `run` with a signal aborted (E_ABORTED) by SIGINT or SIGTERM; the handlers are removed afterwards. */
export async function withInterrupts<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const abort = (): void => controller.abort(new OverlaydiffError('E_ABORTED', 'interrupted'));
  process.once('SIGINT', abort).once('SIGTERM', abort);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', abort).off('SIGTERM', abort);
  }
}
