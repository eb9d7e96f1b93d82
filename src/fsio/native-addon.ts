// Loads the package's N-API addon when first needed: a local build (build/Release) or the prebuilt binary for this platform, with an error that says how to get one.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// The package root: two levels above src/fsio or dist/fsio.
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const loaded = new Map<string, unknown>();

type NodeGypBuild = (root: string) => unknown;

/**
 * The addon of the package at `root`, found by node-gyp-build (build/Release first, then
 * prebuilds/linux-<arch>/node.napi.<glibc|musl>.node), loaded on first use and cached. Nothing
 * loads it at import time, so what needs no syscall beyond Node's (help, version, apply of a tar
 * without xattrs…) works even where no binary fits. `root` is for tests.
 */
export function loadNativeAddon<T>(root = PACKAGE_ROOT): T {
  if (loaded.has(root)) return loaded.get(root) as T;
  let addon: unknown;
  try {
    addon = (createRequire(import.meta.url)('node-gyp-build') as NodeGypBuild)(root);
  } catch (err) {
    throw missingAddon(root, err);
  }
  loaded.set(root, addon);
  return addon as T;
}

/**
 * The addon when it loads and has every function in `names`, else null: for a speed-up that has a
 * JavaScript fallback (no binary for this platform, or one built without an optional library).
 */
export function optionalNativeAddon<T>(...names: readonly string[]): T | null {
  let addon: Record<string, unknown>;
  try {
    addon = loadNativeAddon<Record<string, unknown>>();
  } catch {
    return null;
  }
  return names.every((name) => typeof addon[name] === 'function') ? (addon as T) : null;
}

function missingAddon(root: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return new Error(
    `the native addon is missing: no build/Release/*.node and no prebuilt binary for linux-${process.arch} in ${root} ` +
      `(${reason}). Build it with \`npm rebuild overlaydiff\` with a C compiler, python3 and make on PATH ` +
      '(Debian: apt-get install build-essential python3), and do not install with --ignore-scripts',
    { cause },
  );
}
