// The argument handling every command shares: help first, then strict option parsing with the global flags.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isXattrNamespace } from '../classify/namespace.js';
import { usageError } from '../errors.js';
import type { XattrNamespace } from '../types.js';
import { GLOBAL_OPTIONS } from './global-flags.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type StrictConfig<T extends OptionsConfig> = { args: string[]; strict: true; allowPositionals: true; options: T & typeof GLOBAL_OPTIONS };

/** Writes `usage` to stdout and returns true when the arguments ask for help (-h or --help). */
export function helpRequested(args: readonly string[], usage: string): boolean {
  if (!args.includes('--help') && !args.includes('-h')) return false;
  process.stdout.write(usage);
  return true;
}

/**
 * parseArgs as every command uses it: unknown options are usage errors, positionals allowed, and
 * the global flags (--debug, --json, --no-progress) accepted wherever they appear.
 */
export function parseCommandArgs<const T extends OptionsConfig>(args: readonly string[], options: T): ReturnType<typeof parseArgs<StrictConfig<T>>> {
  return parseArgs({ args: [...args], strict: true, allowPositionals: true, options: { ...options, ...GLOBAL_OPTIONS } });
}

/** The `--xattr-namespace` value (undefined when not given); anything but trusted or user is a usage error. */
export function xattrNamespaceFlag<T extends string | undefined>(value: T): T & (XattrNamespace | undefined) {
  if (value !== undefined && !isXattrNamespace(value)) throw usageError(`--xattr-namespace must be trusted or user, not ${JSON.stringify(value)}`);
  return value as T & (XattrNamespace | undefined);
}
