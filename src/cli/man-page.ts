// man(7) pages made from a command's help text: the usage lines become the SYNOPSIS, the rest the DESCRIPTION.

export interface ManPageSource {
  /** The page's name: `overlaydiff` or `overlaydiff-diff`. */
  readonly name: string;
  readonly summary: string;
  /** The help text, as `--help` prints it. */
  readonly usage: string;
  /** Other pages for SEE ALSO, as `name(section)`. */
  readonly seeAlso: readonly string[];
}

/**
 * Escapes text for roff: backslashes, hyphens (so they stay ASCII), a leading `.` or `'`, and
 * non-ASCII characters as `\[uXXXX]` (troff reads bytes, not UTF-8, unless preconv runs first).
 */
export function roffEscape(line: string): string {
  const escaped = line
    .replaceAll('\\', '\\e')
    .replaceAll('-', '\\-')
    .replace(/[^\x00-\x7f]/gu, (c) => `\\[u${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`);
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

/**
 * A section-1 man page. The help text's first block (the `usage:` lines and their continuations)
 * is the SYNOPSIS; everything after it is the DESCRIPTION, kept as preformatted text so its
 * columns line up as in `--help`. `date` is YYYY-MM-DD.
 */
export function manPage(source: ManPageSource, version: string, date: string): string {
  const lines = source.usage.replace(/\n+$/, '').split('\n');
  const blank = lines.indexOf('');
  const synopsis = (blank === -1 ? lines : lines.slice(0, blank)).map((l) => l.replace(/^usage: /, '').replace(/^ {7}/, ''));
  const description = blank === -1 ? [] : lines.slice(blank + 1);
  const block = (body: readonly string[]): string[] => ['.nf', ...body.map((l) => (l === '' ? '' : roffEscape(l))), '.fi'];
  return [
    `.TH ${roffEscape(source.name.toUpperCase())} 1 "${date}" "overlaydiff ${version}" "User Commands"`,
    '.SH NAME',
    `${roffEscape(source.name)} \\- ${roffEscape(source.summary)}`,
    '.SH SYNOPSIS',
    ...block(synopsis),
    ...(description.length === 0 ? [] : ['.SH DESCRIPTION', ...block(description)]),
    ...(source.seeAlso.length === 0 ? [] : ['.SH SEE ALSO', '.nh', '.ad l', roffEscape(source.seeAlso.join(', '))]),
    '',
  ].join('\n');
}
