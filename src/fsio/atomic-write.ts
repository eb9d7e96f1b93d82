// Writes an output file under a temporary name and renames it into place only when complete.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
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
  assertDirectory(dir);
  const temp = join(dir, `.${basename(dest)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const result = await writeTempFile(temp, write);
  try {
    renameSync(temp, dest);
  } catch (err) {
    removeTemp(temp);
    throw ioError('rename output into place', dest, err);
  }
  return result;
}

/**
 * Creates `temp` (exclusively, mode 0644), runs `write` against a stream to it, and returns once
 * the data is fsynced and the file closed; the caller renames it into place. On any failure the
 * temp file is removed and the error rethrown.
 */
export async function writeTempFile<T>(temp: string, write: (out: Writable) => Promise<T>): Promise<T> {
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o644);
  } catch (err) {
    throw ioError('create output file', temp, err);
  }
  // The stream owns the fd: it fsyncs it before closing (flush), and destroying the stream on a
  // failure waits for an in-flight write before closing it.
  const stream = createWriteStream(temp, { fd, flush: true });
  const closed = once(stream, 'close');
  // Handled here so a stream error cannot become an unhandled rejection before write() reports it.
  closed.catch(() => undefined);
  try {
    const result = await write(stream);
    await closed;
    return result;
  } catch (err) {
    if (!stream.closed) stream.destroy();
    await closed.catch(() => undefined);
    removeTemp(temp);
    throw err;
  }
}

// The temp file may already be gone; anything else is reported with the original error intact.
function removeTemp(temp: string): void {
  try {
    unlinkSync(temp);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') process.emitWarning(`could not remove ${temp}: ${String(err)}`);
  }
}

function assertDirectory(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw ioError('use output directory', dir, err);
    throw new OverlaydiffError('E_NOT_FOUND', `${dir}: output directory does not exist`, { path: dir, cause: err });
  }
  if (!isDir) throw new OverlaydiffError('E_NOT_DIRECTORY', `${dir}: output directory is not a directory`, { path: dir });
}
