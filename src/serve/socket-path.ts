// Prepares the path of the server's unix socket: a stale socket from a crash is replaced, a live one refused.
import { mkdirSync, lstatSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { OverlaydiffError, errnoCode, ioError } from '../errors.js';

/**
 * Makes `path` ready to bind: creates its directory (mode 0700) when missing; removes a socket
 * nobody answers on (left by a crash); throws E_USAGE when a server answers there or the path is
 * something other than a socket.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError('create the socket directory', dirname(path), err);
  }
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw ioError('inspect the socket path', path, err);
  }
  if (!isSocket)
    throw new OverlaydiffError('E_USAGE', `${path}: exists and is not a socket; choose another socket (option \`address\`) or remove it`, { path });
  if (await answers(path))
    throw new OverlaydiffError('E_USAGE', `${path}: another server is listening on this socket; stop it first or choose another socket (option \`address\`)`, {
      path,
    });
  try {
    unlinkSync(path);
  } catch (err) {
    throw ioError('remove the stale socket', path, err);
  }
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    // ECONNREFUSED: a socket file without a listener (its server died).
    socket.once('error', () => resolve(false));
  });
}
