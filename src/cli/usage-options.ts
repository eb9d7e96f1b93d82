// The options a help text documents, read from the text itself (for completion scripts).

/** Every `--long` and `-x` option named in `usage`, in order of first mention, without duplicates. */
export function optionsOf(usage: string): string[] {
  const found = new Set<string>();
  for (const match of usage.matchAll(/(?<![\w$-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])/g)) found.add(match[1]!);
  return [...found];
}
