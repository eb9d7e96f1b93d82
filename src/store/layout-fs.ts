// The image layout on disk: creating it, reading index.json and blobs, and writing blobs and the index durably.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { isSha256Digest, isSha256Hex } from '../blob/digest.js';
import { OverlaydiffError, errnoCode, ioError } from '../errors.js';
import { writeTempFile } from '../fsio/atomic-write.js';
import { TEMP_PREFIX, tempOwnerPid, type BlobListing, type TempListing } from './grace.js';
import type { LoadResult } from './mark.js';
import { crashPoint } from './fault-points.js';
import { IMAGE_LAYOUT_VERSION, MEDIA_TYPE_INDEX, isIndex, type OciDescriptor, type OciIndex } from './oci-types.js';

export const BLOBS_DIR = 'blobs';
export const SHA256_DIR = join(BLOBS_DIR, 'sha256');

/** Where a digest's blob lives. */
export function blobPath(layout: string, digest: string): string {
  if (!isSha256Digest(digest)) throw new OverlaydiffError('E_BAD_ARCHIVE', `${layout}: unsupported digest ${JSON.stringify(digest)} (only sha256 is stored)`);
  return join(layout, SHA256_DIR, digest.slice('sha256:'.length));
}

/**
 * Creates `oci-layout` and `blobs/sha256/` where absent (through a temp name, so a validator never
 * sees a partial file); checks `imageLayoutVersion` of an existing layout. index.json is created
 * by `ensureIndex` under the lock: two creators must not both start from an empty index.
 */
export function ensureLayout(layout: string): void {
  // One level at a time, the layout directory but not its parents: a recursive mkdir reports a
  // read-only file system as ENOENT.
  for (const dir of [layout, join(layout, 'blobs'), join(layout, SHA256_DIR)]) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST' && isDirectory(dir)) continue;
      throw ioError('create the image layout', dir, err);
    }
  }
  const marker = join(layout, 'oci-layout');
  if (!exists(marker)) writeJsonAtomically(layout, marker, { imageLayoutVersion: IMAGE_LAYOUT_VERSION });
  else {
    const value = readJson(marker);
    if (typeof value !== 'object' || value === null || (value as Record<string, unknown>)['imageLayoutVersion'] !== IMAGE_LAYOUT_VERSION) {
      throw new OverlaydiffError('E_BAD_ARCHIVE', `${marker}: imageLayoutVersion is not ${IMAGE_LAYOUT_VERSION}`, { path: marker });
    }
  }
}

/** Writes an empty index.json when there is none; call under the layout lock. */
export function ensureIndex(layout: string): void {
  if (!exists(join(layout, 'index.json'))) writeIndex(layout, { schemaVersion: 2, mediaType: MEDIA_TYPE_INDEX, manifests: [] });
}

/** Throws E_NOT_FOUND unless `layout` holds an image layout. */
export function assertLayout(layout: string): void {
  for (const name of ['oci-layout', 'index.json']) {
    if (!exists(join(layout, name))) throw new OverlaydiffError('E_NOT_FOUND', `${layout}: not an OCI image layout (no ${name})`, { path: layout });
  }
}

export function readIndex(layout: string): OciIndex {
  const path = join(layout, 'index.json');
  const value = readJson(path);
  if (!isIndex(value)) throw new OverlaydiffError('E_BAD_ARCHIVE', `${path}: not a valid image index`, { path });
  return value;
}

/**
 * Replaces index.json atomically and durably: temp in blobs/ (never named index.json), fsync,
 * rename, fsync the layout dir. Call it only under the layout lock.
 */
export function writeIndex(layout: string, index: OciIndex, crashStep?: string): void {
  writeJsonAtomically(layout, join(layout, 'index.json'), index, crashStep);
}

/** index.json, or an empty index when the layout has none yet. */
export function readIndexOrEmpty(layout: string): OciIndex {
  return exists(join(layout, 'index.json')) ? readIndex(layout) : { schemaVersion: 2, mediaType: MEDIA_TYPE_INDEX, manifests: [] };
}

/** Reads a JSON blob for the mark: missing and unparsable blobs are results, other errors throw. */
export function loadJsonBlob(layout: string, descriptor: OciDescriptor): LoadResult {
  const path = blobPath(layout, descriptor.digest);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { kind: 'missing' };
    throw ioError('read blob', path, err);
  }
  if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== descriptor.digest)
    return { kind: 'invalid', reason: 'content does not match its digest' };
  try {
    return { kind: 'ok', value: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch (err) {
    return { kind: 'invalid', reason: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** A new temp file in blobs/ named for this process (GC leaves it alone while we live). */
export function tempPath(layout: string, suffix = ''): string {
  return join(layout, BLOBS_DIR, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}${suffix}`);
}

/**
 * Streams a blob into a temp file inside the layout, fsyncs it and renames it to its digest; an
 * existing blob with that digest is kept (its mtime refreshed so GC's grace period covers it until
 * the index references it) and the temp file removed. `write` returns the digest of what it wrote.
 */
export async function storeBlob<T>(layout: string, write: (out: Writable) => Promise<T>, digestOf: (result: T) => string, crashStep?: string): Promise<T> {
  const temp = tempPath(layout);
  const result = await writeTempFile(temp, write);
  let placed = false;
  try {
    if (crashStep !== undefined) crashPoint(crashStep);
    placed = placeBlob(layout, temp, digestOf(result));
    return result;
  } finally {
    if (!placed) removeIfPresent(temp);
  }
}

/** Stores a small blob (config, manifest) and returns its descriptor fields. */
export async function storeBytes(layout: string, bytes: Buffer, crashStep?: string): Promise<{ digest: string; size: number }> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await storeBlob(
    layout,
    async (out) => {
      await new Promise<void>((resolve, reject) => {
        out.once('error', reject);
        out.end(bytes, () => resolve());
      });
      return digest;
    },
    (d) => d,
    crashStep,
  );
  return { digest, size: bytes.length };
}

// Returns true when the temp file was renamed into place (false: an equal blob existed, temp still there).
function placeBlob(layout: string, temp: string, digest: string): boolean {
  const dest = blobPath(layout, digest);
  const existingSize = sizeOf(dest);
  // Same digest and size: the same bytes (a truncated leftover of a foreign tool is replaced). Touch
  // it so a GC running before our index update sees it young.
  if (existingSize !== undefined && existingSize === sizeOf(temp)) {
    const now = new Date();
    try {
      utimesSync(dest, now, now);
      return false;
    } catch (err) {
      // A GC may have removed it just now: fall through and put ours in place.
      if (errnoCode(err) !== 'ENOENT') throw ioError('refresh blob', dest, err);
    }
  }
  try {
    renameSync(temp, dest);
  } catch (err) {
    throw ioError('rename blob into place', dest, err);
  }
  fsyncDir(join(layout, SHA256_DIR));
  return true;
}

function writeJsonAtomically(layout: string, dest: string, value: unknown, crashStep?: string): void {
  const temp = tempPath(layout, '.json');
  const bytes = Buffer.from(`${JSON.stringify(value)}\n`);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o644);
  } catch (err) {
    throw ioError('create a temp file', temp, err);
  }
  let renamed = false;
  try {
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (crashStep !== undefined) crashPoint(crashStep);
    try {
      renameSync(temp, dest);
    } catch (err) {
      throw ioError('rename into place', dest, err);
    }
    renamed = true;
    fsyncDir(layout);
  } finally {
    if (!renamed) removeIfPresent(temp);
  }
}

/** Blobs under blobs/sha256 and our temp files under blobs/, each with its mtime; vanished entries are skipped. */
export function listBlobs(layout: string): { blobs: BlobListing[]; temps: TempListing[] } {
  const blobs: BlobListing[] = [];
  for (const hex of readDir(join(layout, SHA256_DIR))) {
    const mtimeMs = mtimeOf(join(layout, SHA256_DIR, hex));
    if (mtimeMs !== undefined && isSha256Hex(hex)) blobs.push({ hex, mtimeMs });
  }
  const temps: TempListing[] = [];
  for (const name of readDir(join(layout, BLOBS_DIR))) {
    if (tempOwnerPid(name) === undefined) continue;
    const mtimeMs = mtimeOf(join(layout, BLOBS_DIR, name));
    if (mtimeMs !== undefined) temps.push({ name, mtimeMs });
  }
  return { blobs, temps };
}

function readDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    throw ioError('list', dir, err);
  }
}

/** Size of the file at `path`, or undefined when it does not exist. */
export function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw ioError('stat', path, err);
  }
}

/** `op()`'s value, or `missing` when `path` does not exist; any other failure is an error naming `what`. */
function unlessMissing<T>(what: string, path: string, missing: T, op: () => T): T {
  try {
    return op();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return missing;
    throw ioError(what, path, err);
  }
}

function mtimeOf(path: string): number | undefined {
  return unlessMissing('stat', path, undefined, () => statSync(path).mtimeMs);
}

/** Unlinks `path`; true when it was there. A file that vanished meanwhile counts as removed by someone else. */
export function removeIfPresent(path: string): boolean {
  return unlessMissing('remove', path, false, () => {
    unlinkSync(path);
    return true;
  });
}

export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch (err) {
    throw ioError('open directory for fsync', dir, err);
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function exists(path: string): boolean {
  return unlessMissing('stat', path, false, () => {
    statSync(path);
    return true;
  });
}

export function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw ioError('read', path, err);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new OverlaydiffError('E_BAD_ARCHIVE', `${path}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { path, cause: err });
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
