// Recovers the exact bytes of command-line arguments (from /proc/self/cmdline), which process.argv decodes lossily.
import { readFileSync } from 'node:fs';
import { usageError } from '../errors.js';

/**
 * The bytes an argument string came from. process.argv holds each argument decoded as UTF-8, with
 * every invalid byte replaced by U+FFFD, so a directory named with non-UTF-8 bytes would be
 * re-encoded as a different name (its U+FFFD twin). `raw` are the arguments as the kernel gave
 * them; `value` is found as a whole argument or as the value of `--name=value`. A string that is
 * its own exact encoding needs no lookup; one that several different raw arguments decode to is
 * a usage error rather than a guess.
 */
export function argumentBytes(value: string, raw: readonly Buffer[]): Buffer {
  const encoded = Buffer.from(value, 'utf8');
  if (!value.includes('\uFFFD')) return encoded;
  const found = new Map<string, Buffer>();
  for (const arg of raw) {
    const eq = arg[0] === 0x2d && arg[1] === 0x2d ? arg.indexOf(0x3d) : -1;
    for (const candidate of eq > 0 ? [arg, arg.subarray(eq + 1)] : [arg]) {
      if (candidate.toString('utf8') === value) found.set(candidate.toString('latin1'), candidate);
    }
  }
  if (found.size > 1) throw usageError(`the argument ${JSON.stringify(value)} is not valid UTF-8 and more than one argument reads the same; pass it once`);
  return found.values().next().value ?? encoded;
}

let cached: Buffer[] | undefined;

/** This process's arguments as bytes (after node's own options and the script), or [] without /proc. */
export function rawArguments(): readonly Buffer[] {
  if (cached !== undefined) return cached;
  let all: Buffer[];
  try {
    const cmdline = readFileSync('/proc/self/cmdline');
    all = [];
    let start = 0;
    for (let i = 0; i < cmdline.length; i++) {
      if (cmdline[i] !== 0) continue;
      all.push(cmdline.subarray(start, i));
      start = i + 1;
    }
  } catch {
    all = [];
  }
  // process.argv is [node, script, ...args]; cmdline has node's own options in between.
  const count = process.argv.length - 2;
  cached = count > 0 && all.length >= count ? all.slice(all.length - count) : [];
  return cached;
}

/** The bytes of a path argument of this process (see argumentBytes). */
export function pathArgument(value: string): Buffer {
  return argumentBytes(value, rawArguments());
}
