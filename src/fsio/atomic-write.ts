// Writes an output file under a temporary name and renames it into place only when complete.
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { OverlaydiffError, errnoCode, ioError } from '../errors.js';

/**
 * Runs `write` against a stream to a temp file in the destination's directory, fsyncs it, and
 * renames it to `dest`. On any failure the temp file is removed and `dest` is left untouched,
 * so a reader never sees a half-written output.
 */
export async function writeAtomically<T>(dest: string, write: (out: Writable) => Promise<T>): Promise<T> {
  const dir = dirname(dest);
  await assertDirectory(dir);
  const temp = join(dir, `.${basename(dest)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(temp, 'wx', 0o644);
  } catch (err) {
    throw ioError('create output file', temp, err);
  }
  let done = false;
  try {
    const result = await write(handle.createWriteStream({ autoClose: false }));
    await handle.sync();
    await handle.close();
    await rename(temp, dest).catch((err: unknown) => {
      throw ioError('rename output into place', dest, err);
    });
    done = true;
    return result;
  } finally {
    if (!done) {
      // Cleanup is best effort: its own failure must not hide the error that got us here.
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    }
  }
}

async function assertDirectory(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw ioError('use output directory', dir, err);
    throw new OverlaydiffError('E_NOT_FOUND', `${dir}: output directory does not exist`, { path: dir, cause: err });
  }
  throw new OverlaydiffError('E_NOT_DIRECTORY', `${dir}: output directory is not a directory`, { path: dir });
}
