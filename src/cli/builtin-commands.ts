// The commands about the tool itself: help, version, completion; and the top-level help built from the command table.
import { type Command, COMMANDS, findCommand } from './commands.js';
import { completionScript, isShell, SHELLS } from './completion.js';
import { GLOBAL_USAGE, hasFlag } from './global-flags.js';
import { parseCommandArgs } from './command-args.js';
import { usageError } from '../errors.js';
import { runVersion, VERSION_USAGE } from './version.js';

export { runVersion, VERSION_USAGE };

export const HELP_USAGE = `usage: overlaydiff help [COMMAND]

Shows the help of COMMAND (the same as overlaydiff COMMAND --help), or the list of commands.
`;

export const COMPLETION_USAGE = `usage: overlaydiff completion ${SHELLS.join('|')}

Prints a completion script for the shell:
  bash   source <(overlaydiff completion bash)   (or save it in /etc/bash_completion.d/)
  zsh    overlaydiff completion zsh > "\${fpath[1]}/_overlaydiff"
  fish   overlaydiff completion fish > ~/.config/fish/completions/overlaydiff.fish
`;

/** The top-level help: every command with its summary, then the global options. */
export function topUsage(): string {
  const all = allCommands();
  const width = Math.max(...all.map((c) => c.name.length)) + 2;
  const lines = all.map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
  return `usage: overlaydiff [global options] <command> [options]

commands:
${lines.join('\n')}

Run 'overlaydiff help COMMAND' or 'overlaydiff COMMAND --help' for a command's options.

${GLOBAL_USAGE}  -h, --help         show this help
  -v, --version      show the version
`;
}

const BUILTINS: readonly Command[] = [
  { name: 'help', summary: "show a command's help, or this list", usage: HELP_USAGE, run: runHelp },
  { name: 'version', summary: 'show the version', usage: VERSION_USAGE, run: runVersion },
  { name: 'completion', summary: 'print a shell completion script (bash, zsh or fish)', usage: COMPLETION_USAGE, run: runCompletion },
];

/** The library commands, then help, version and completion. */
export function allCommands(): readonly Command[] {
  return [...COMMANDS, ...BUILTINS];
}

/** The command named `name` among all commands, or undefined. */
export function findAnyCommand(name: string): Command | undefined {
  return findCommand(name) ?? BUILTINS.find((c) => c.name === name);
}

async function runHelp(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { help: { type: 'boolean', short: 'h' } });
  if (values.help === true) {
    process.stdout.write(HELP_USAGE);
    return 0;
  }
  const [name, ...extra] = positionals;
  if (extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  if (name === undefined) {
    process.stdout.write(topUsage());
    return 0;
  }
  const command = findAnyCommand(name);
  if (command === undefined) throw usageError(`unknown command ${JSON.stringify(name)}`);
  process.stdout.write(command.usage);
  return 0;
}

async function runCompletion(args: readonly string[]): Promise<number> {
  if (hasFlag(args, '--help') || hasFlag(args, '-h')) {
    process.stdout.write(COMPLETION_USAGE);
    return 0;
  }
  const { positionals } = parseCommandArgs(args, {});
  const [shell, ...extra] = positionals;
  if (shell === undefined || !isShell(shell) || extra.length > 0) throw usageError(`completion needs one shell: ${SHELLS.join(', ')}`);
  process.stdout.write(completionScript(shell, allCommands(), topUsage()));
  return 0;
}
