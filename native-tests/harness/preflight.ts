// Checks that this machine can mount overlays in a mode; a native test may skip only when it cannot.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import type { Mode } from './overlay.js';

const cache = new Map<Mode, string | undefined>();

/** Why `mode` cannot run here, or undefined when it can. */
export function whyUnavailable(mode: Mode): string | undefined {
  if (cache.has(mode)) return cache.get(mode);
  let reason: string | undefined;
  if (process.getuid?.() !== 0) reason = 'native tests need root (real overlay mounts)';
  else {
    const t = mkdtempSync(join(tmpdir(), 'overlaydiff-preflight-'));
    for (const d of ['l', 'u', 'w', 'm']) mkdirSync(join(t, d));
    const opts = `lowerdir=${t}/l,upperdir=${t}/u,workdir=${t}/w${mode === 'trusted' ? '' : ',userxattr'}`;
    const script = `mount -t overlay overlay -o ${opts} ${t}/m && umount ${t}/m`;
    const argv = mode === 'user' ? ['unshare', '-Urm', 'sh', '-c', script] : ['sh', '-c', script];
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) reason = `cannot mount an overlay in mode ${mode}: ${r.stderr.trim()}`;
    rmSync(t, { recursive: true, force: true });
  }
  cache.set(mode, reason);
  return reason;
}

/**
 * Returns true when tests of `mode` should run. Prints why not otherwise; under CI=true a mode
 * that cannot run is a failure, never a silent skip.
 */
export function canRun(mode: Mode): boolean {
  const reason = whyUnavailable(mode);
  if (reason === undefined) return true;
  if (process.env['CI'] === 'true') throw new Error(`native tests cannot run under CI: ${reason}`);
  console.warn(`skipping ${mode} native tests: ${reason}`);
  return false;
}

/** One test per mode, titled with `%s` replaced by the mode; skipped (with the reason printed) where the kernel cannot. */
export function forModes<M extends Mode>(modes: readonly M[], title: string, fn: (mode: M) => void): void {
  for (const mode of modes) it.runIf(canRun(mode))(title.replace('%s', mode), () => fn(mode));
}
