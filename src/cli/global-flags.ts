// The flags every command takes, before or after the command name: --debug, --json, --no-progress.

/** parseArgs configuration of the global flags; every command's parser includes it. */
export const GLOBAL_OPTIONS = {
  debug: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  'no-progress': { type: 'boolean', default: false },
} as const;

const GLOBAL_FLAGS: ReadonlySet<string> = new Set(Object.keys(GLOBAL_OPTIONS).map((name) => `--${name}`));

/** The usage lines of the global flags, for the top-level help. */
export const GLOBAL_USAGE = `global options (before or after the command):
  --json             print the result, or the error, as JSON (see the schemas/ folder)
  --no-progress      no progress line on stderr (drawn only when stderr is a terminal)
  --debug            print stack traces on errors
`;

/** A command line split at its command name. */
export interface CommandLine {
  /** Options before the command name (global flags, --help, --version). */
  readonly leading: readonly string[];
  readonly command: string | undefined;
  /** Everything after the command name. */
  readonly rest: readonly string[];
}

/** Splits `argv` at the first argument that is not an option. */
export function splitCommandLine(argv: readonly string[]): CommandLine {
  const at = argv.findIndex((arg) => !arg.startsWith('-') || arg === '-');
  if (at === -1) return { leading: argv, command: undefined, rest: [] };
  return { leading: argv.slice(0, at), command: argv[at], rest: argv.slice(at + 1) };
}

/** True for --debug, --json and --no-progress. */
export function isGlobalFlag(arg: string): boolean {
  return GLOBAL_FLAGS.has(arg);
}

/** Whether `flag` is given anywhere before a `--` that ends the options. */
export function hasFlag(argv: readonly string[], flag: string): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes(flag);
}
