// Loads the package's N-API addon (built by node-gyp into build/Release) when first needed, with an error that says how to get it.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const loaded = new Map<string, unknown>();

/**
 * The addon `build/Release/NAME.node` at the package root (two levels above src/fsio or
 * dist/fsio), loaded on first use and cached. Nothing loads it at import time, so commands and
 * library calls that need no syscall beyond Node's (help, version, apply of a plain tree without
 * xattrs…) work even when the install skipped the build. `url` is for tests.
 */
export function loadNativeAddon<T>(name: string, url = new URL(`../../build/Release/${name}.node`, import.meta.url)): T {
  const key = url.href;
  if (loaded.has(key)) return loaded.get(key) as T;
  let addon: unknown;
  try {
    addon = createRequire(import.meta.url)(fileURLToPath(url));
  } catch (err) {
    throw missingAddon(fileURLToPath(url), err);
  }
  loaded.set(key, addon);
  return addon as T;
}

function missingAddon(path: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return new Error(
    `the native addon is missing: ${path} could not be loaded (${reason}). It is built when the package ` +
      'is installed; run `npm rebuild overlaydiff` with a C compiler, python3 and make on PATH ' +
      '(Debian: apt-get install build-essential python3), and do not install with --ignore-scripts',
    { cause },
  );
}
