// Shell completion scripts (bash, zsh, fish) generated from the command table's help texts.
import { optionsOf } from './usage-options.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** What completion needs to know about one command. */
export interface CompletedCommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
}

export function isShell(value: string): value is Shell {
  return (SHELLS as readonly string[]).includes(value);
}

/**
 * The completion script for `shell`: command names (with summaries where the shell shows them),
 * each command's options as its help text names them, files elsewhere. `top` is the top-level help.
 */
export function completionScript(shell: Shell, commands: readonly CompletedCommand[], top: string): string {
  const table = commands.map((c) => ({ name: c.name, summary: c.summary, options: optionsOf(c.usage) }));
  const topOptions = optionsOf(top);
  switch (shell) {
    case 'bash':
      return bashScript(table, topOptions);
    case 'zsh':
      return zshScript(table, topOptions);
    case 'fish':
      return fishScript(table, topOptions);
  }
}

interface Row {
  readonly name: string;
  readonly summary: string;
  readonly options: readonly string[];
}

const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

// The command is the first word after the program that is not an option (global flags take no value).
function bashScript(rows: readonly Row[], top: readonly string[]): string {
  const names = rows.map((r) => r.name).join(' ');
  const cases = rows.map((r) => `    ${r.name}) opts=${shellQuote(r.options.join(' '))} ;;`).join('\n');
  return `# bash completion for overlaydiff; load with: source <(overlaydiff completion bash)
_overlaydiff() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" opts="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) cmd="\${COMP_WORDS[i]}"; break ;; esac
  done
  case "$cmd" in
    "") COMPREPLY=($(compgen -W ${shellQuote(`${names} ${top.join(' ')}`)} -- "$cur")); return ;;
    help) COMPREPLY=($(compgen -W ${shellQuote(names)} -- "$cur")); return ;;
${cases}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -o filenames -F _overlaydiff overlaydiff
`;
}

function zshScript(rows: readonly Row[], top: readonly string[]): string {
  const described = rows.map((r) => `    ${shellQuote(`${r.name}:${r.summary.replaceAll(':', '\\:')}`)}`).join('\n');
  const names = rows.map((r) => r.name).join(' ');
  const cases = rows.map((r) => `    ${r.name}) opts=(${r.options.map(shellQuote).join(' ')}) ;;`).join('\n');
  return `#compdef overlaydiff
# zsh completion for overlaydiff; put it in a $fpath directory as _overlaydiff, or: source <(overlaydiff completion zsh)
_overlaydiff() {
  local cmd w
  local -a commands opts
  commands=(
${described}
  )
  for w in \${words[2,CURRENT-1]}; do
    [[ $w == -* ]] || { cmd=$w; break }
  done
  case $cmd in
    '') if [[ $PREFIX == -* ]]; then compadd -- ${top.map(shellQuote).join(' ')}; else _describe -t commands 'overlaydiff command' commands; fi; return ;;
    help) compadd -- ${names}; return ;;
${cases}
  esac
  if [[ $PREFIX == -* ]]; then compadd -- $opts; else _files; fi
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _overlaydiff "$@"; else compdef _overlaydiff overlaydiff; fi
`;
}

function fishScript(rows: readonly Row[], top: readonly string[]): string {
  const names = rows.map((r) => r.name).join(' ');
  const option = (o: string): string => (o.startsWith('--') ? `-l ${o.slice(2)}` : `-s ${o.slice(1)}`);
  const lines = [
    '# fish completion for overlaydiff; load with: overlaydiff completion fish | source',
    `complete -c overlaydiff -f`,
    ...rows.map((r) => `complete -c overlaydiff -n '__fish_use_subcommand' -a ${r.name} -d ${shellQuote(r.summary)}`),
    ...top.map((o) => `complete -c overlaydiff -n '__fish_use_subcommand' ${option(o)}`),
    `complete -c overlaydiff -n '__fish_seen_subcommand_from help' -a ${shellQuote(names)}`,
    ...rows.flatMap((r) => [
      `complete -c overlaydiff -n '__fish_seen_subcommand_from ${r.name}' -F`,
      ...r.options.map((o) => `complete -c overlaydiff -n '__fish_seen_subcommand_from ${r.name}' ${option(o)}`),
    ]),
  ];
  return `${lines.join('\n')}\n`;
}
