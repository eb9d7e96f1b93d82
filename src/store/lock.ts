// The layout's index lock: an exclusive flock(2) held by a child `flock` process for as long as we need it.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { OverlaydiffError, ioError } from '../errors.js';

/** The lock file in the layout root; it stays in place (only the kernel lock on it matters). */
export const LOCK_FILE = '.overlaydiff.lock';

/**
 * Runs `fn` while holding the layout's exclusive lock; serializes every read-modify-write of
 * index.json and every GC between processes.
 *
 * Node has no flock, so a child `flock -o FILE cat` holds it: flock(1) takes the lock, then runs
 * `cat`, whose stdin is our pipe. When we end the pipe (or die, even by SIGKILL: the kernel closes
 * the pipe), cat sees EOF, flock exits and the kernel drops the lock. So a crashed holder never
 * leaves a stale lock, unlike an O_EXCL lock file whose pid must be checked and broken (racy
 * between two breakers, wrong across pid namespaces).
 */
export async function withLayoutLock<T>(layout: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const lockPath = join(layout, LOCK_FILE);
  try {
    closeSync(openSync(lockPath, 'a', 0o644));
  } catch (err) {
    throw ioError('create the layout lock file', lockPath, err);
  }
  const child = spawn('flock', ['--exclusive', '-o', lockPath, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let acquired = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal?.reason instanceof Error ? signal.reason : new OverlaydiffError('E_ABORTED', 'interrupted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.once('data', () => {
        signal?.removeEventListener('abort', onAbort);
        acquired = true;
        resolve();
      });
      child.once('error', (err) => reject(ioError('run flock(1) to lock the layout', lockPath, err)));
      void exited.then((code) =>
        reject(new OverlaydiffError('E_IO', `${lockPath}: cannot lock the layout: flock exited with ${code}: ${stderr.trim()}`, { path: lockPath })),
      );
    });
    return await fn();
  } finally {
    child.stdin.end();
    // A wait that failed or was aborted: flock may still be queued for the lock, deaf to our pipe.
    if (!acquired) child.kill('SIGTERM');
    await exited;
  }
}
