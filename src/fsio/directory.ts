// Resolves a directory option at the edge: an existing directory's absolute path, or the error naming its role.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { OverlaydiffError, ioError } from '../errors.js';

/** The absolute path of an existing directory, as bytes; E_USAGE / E_NOT_FOUND / E_NOT_DIRECTORY naming `role` (e.g. 'upperdir'). */
export function resolveDirectory(role: string, path: unknown): Buffer {
  if (typeof path !== 'string' || path.length === 0) {
    throw new OverlaydiffError('E_USAGE', `${role} must be a non-empty path`);
  }
  const abs = resolve(path);
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch (err) {
    throw ioError(`use ${role}`, abs, err);
  }
  if (!isDir) throw new OverlaydiffError('E_NOT_DIRECTORY', `${abs}: ${role} is not a directory`, { path: abs });
  return Buffer.from(abs);
}
