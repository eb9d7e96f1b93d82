// Writes an output path as its kind asks: a file is replaced atomically (temp name, fsync, rename);
// a device, FIFO, socket or open file descriptor is written through. See output-target.ts.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { constants, createWriteStream, fstatSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Socket, createConnection } from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { OverlaydiffError, errnoCode, ioError } from '../errors.js';
import { assertOutsideTrees, resolveOutputTarget, type GuardedTree } from './output-target.js';

/**
 * Runs `write` against a stream to `dest`. A regular file or a new path is written to a temp file
 * in its directory, fsynced and renamed into place; on failure the temp file is removed and `dest`
 * is left untouched, so a reader never sees a half-written output. A symlink's target is written,
 * not the link. A character device (/dev/null), FIFO, socket or /dev/fd/N is written through and
 * never replaced. With `outside`, a file output inside one of those trees is refused (E_USAGE).
 */
export async function writeAtomically<T>(dest: string, write: (out: Writable) => Promise<T>, outside: readonly GuardedTree[] = []): Promise<T> {
  const target = resolveOutputTarget(dest);
  switch (target.kind) {
    case 'through':
      return writeThrough(target.path, write);
    case 'socket':
      return writeToSocket(target.path, write);
    case 'replace':
      break;
  }
  const path = target.path;
  assertOutsideTrees(path, outside);
  const dir = dirname(path);
  assertDirectory(dir);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const result = await writeTempFile(temp, write);
  try {
    renameSync(temp, path);
  } catch (err) {
    removeTemp(temp);
    throw ioError('rename output into place', path, err);
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
  try {
    // The stream fsyncs the fd before closing it (flush).
    return await writeToStream(createWriteStream(temp, { fd, flush: true }), write);
  } catch (err) {
    removeTemp(temp);
    throw err;
  }
}

// Opens without O_CREAT: the device, FIFO or open file exists. A FIFO's open waits for a reader
// (off the main thread). fsync is meaningless on a pipe or device, so none is asked for. A socket
// cannot be opened by path: one of this process's descriptors that is a socket is written directly.
async function writeThrough<T>(path: string, write: (out: Writable) => Promise<T>): Promise<T> {
  const fd = ownSocketDescriptor(path);
  if (fd !== undefined) return writeToStream(new Socket({ fd, readable: false, writable: true }), write);
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOCTTY);
  } catch (err) {
    throw ioError('open output', path, err);
  }
  return writeToStream(handle.createWriteStream(), write);
}

async function writeToSocket<T>(path: string, write: (out: Writable) => Promise<T>): Promise<T> {
  const socket = createConnection({ path });
  try {
    await once(socket, 'connect');
  } catch (err) {
    socket.destroy();
    throw ioError('connect to output socket', path, err);
  }
  return writeToStream(socket, write);
}

// The descriptor number when `path` is /dev/fd/N or /proc/self/fd/N naming a socket of this process.
function ownSocketDescriptor(path: string): number | undefined {
  const match = /^(?:\/dev|\/proc\/(self|thread-self|\d+))\/fd\/(\d+)$/.exec(path);
  if (match === null) return undefined;
  const owner = match[1];
  if (owner !== undefined && owner !== 'self' && owner !== 'thread-self' && Number(owner) !== process.pid) return undefined;
  const fd = Number(match[2]);
  try {
    return fstatSync(fd).isSocket() ? fd : undefined;
  } catch {
    return undefined;
  }
}

// Runs `write` against `stream` and waits until the stream is closed; destroys it on failure.
async function writeToStream<T>(stream: Writable, write: (out: Writable) => Promise<T>): Promise<T> {
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
