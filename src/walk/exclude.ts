// Compiles --exclude glob patterns into one predicate over the walker's relative byte paths.
import { isUtf8 } from 'node:buffer';
import picomatch from 'picomatch';
import { OverlaydiffError } from '../errors.js';

/**
 * True when the upper entry at `relativePath` (relative to the upperdir, '/'-separated, raw name
 * bytes, no leading or trailing slash) is excluded: a pattern matches the path itself or one of
 * its ancestor directories. `isDirectory` (default false) lets a pattern with a trailing '/'
 * match the entry itself; such patterns match directories only, as in fast-glob.
 */
export type ExcludeFilter = (relativePath: Buffer, isDirectory?: boolean) => boolean;

// dot: '*' and '**' match names starting with '.' (an upper's dotfiles are ordinary entries).
// posix: '[!a]' negates and '[[:digit:]]' works as in bash and fnmatch; without it picomatch
// reads '[!a]' as the set {'!', 'a'}. strictBrackets: an unbalanced '[', '(' or '{' is a usage
// error instead of silently matching itself.
const GLOB_OPTIONS = { dot: true, posix: true, strictBrackets: true } as const;

/** Raw bytes 0x80–0xff that are not part of valid UTF-8 map to U+DC80–U+DCFF (Python's surrogateescape). */
const ESCAPE_BASE = 0xdc00;

/**
 * Builds the exclude predicate for `patterns`, or undefined when there are none (no cost per path).
 *
 * Pattern rules (fast-glob's `ignore` with picomatch underneath, `dot: true`):
 * - Patterns match the whole relative path. A pattern without '/' matches at the top level only
 *   (`*.tmp` excludes `a.tmp`, not `d/a.tmp`; fast-glob's default `baseNameMatch: false`, like
 *   .dockerignore): write `**\/*.tmp` for any depth.
 * - A pattern that matches a directory excludes its whole subtree, whatever the pattern's form
 *   (fast-glob prunes only for static and `/**` patterns).
 * - `/abs` and `./rel` are normalised to `abs` and `rel`; repeated '/' collapse.
 * - A trailing '/' (`var/cache/`) matches directories only.
 * - Refused with E_USAGE, naming the pattern: empty patterns, negation (`!x`: an exclude list
 *   cannot re-include; write `\!x` for a literal '!'), '.' or '..' segments (walked paths never
 *   contain them, so the pattern could never match), unbalanced brackets, over-long patterns.
 *
 * Path bytes: valid UTF-8 is matched as the text it encodes, so UTF-8 patterns behave as with any
 * glob tool. Each byte that is not part of valid UTF-8 is matched as one character U+DC80+byte
 * (Python's surrogateescape): `*` and `?` match it, two different byte names never look alike to a
 * pattern, and a library caller can name byte 0xff exactly as '\udcff'. (A latin1 rendering would
 * break every non-ASCII UTF-8 pattern; a lossy decode to U+FFFD would make distinct names equal.)
 */
export function createExcludeFilter(patterns: readonly string[]): ExcludeFilter | undefined {
  if (!Array.isArray(patterns)) throw new OverlaydiffError('E_USAGE', 'exclude patterns must be an array of strings');
  if (patterns.length === 0) return undefined;
  const anyEntry: string[] = [];
  const directoryOnly: string[] = [];
  for (const raw of patterns) {
    const { glob, dirOnly } = normalisePattern(raw);
    (dirOnly ? directoryOnly : anyEntry).push(compile(raw, glob));
  }
  // Ancestors are directories: they are tested against every pattern; the entry itself against
  // the directory-only ones only when the caller says it is a directory. Each ancestor is tested on
  // its own, as picomatch sees a path, because rewriting patterns to cover subtrees is not exact:
  // picomatch's 'x/**' matches 'x' for 'var/cache/**' but not for 'bad-*/**', and a regex
  // '^(?:p)(?:/.*)?$' would let '!(keep)' exclude 'keep/x' (its lookahead sees past the prefix).
  // The 's' flag: picomatch builds '**' from '.', which without it skips a segment holding a
  // newline, CR, U+2028 or U+2029 (legal in file names), so '**/*.log' would miss 'a\nb/c.log'.
  const neverMatches = /(?!)/;
  const entryRe = anyEntry.length === 0 ? neverMatches : new RegExp(anyEntry.join('|'), 's');
  const directoryRe = directoryOnly.length === 0 ? entryRe : new RegExp([...anyEntry, ...directoryOnly].join('|'), 's');
  return (relativePath, isDirectory = false) => {
    const text = toMatchText(relativePath);
    for (let slash = text.indexOf('/'); slash !== -1; slash = text.indexOf('/', slash + 1)) {
      if (directoryRe.test(text.slice(0, slash))) return true;
    }
    return (isDirectory ? directoryRe : entryRe).test(text);
  };
}

function normalisePattern(raw: unknown): { glob: string; dirOnly: boolean } {
  if (typeof raw !== 'string') throw new OverlaydiffError('E_USAGE', `exclude pattern ${String(raw)} is not a string`);
  const collapsed = raw.replace(/\/{2,}/g, '/');
  const trimmed = collapsed.replace(/^(?:\.?\/)+/, '');
  const dirOnly = trimmed.endsWith('/');
  const glob = dirOnly ? trimmed.slice(0, -1) : trimmed;
  if (glob.length === 0) throw invalid(raw, 'it matches no path (it is empty or names the upperdir root)');
  if (picomatch.scan(glob).negated) {
    throw invalid(raw, "negated patterns cannot be used to exclude (nothing is re-included); write '\\!' for a literal '!'");
  }
  if (glob.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw invalid(raw, "walked paths never contain '.' or '..' segments, so it could never match");
  }
  return { glob, dirOnly };
}

// The regex source of one glob; picomatch's sources are anchored `^(?:…)$`, so they join with '|'.
function compile(raw: string, glob: string): string {
  try {
    return picomatch.makeRe(glob, GLOB_OPTIONS).source;
  } catch (err) {
    throw invalid(raw, err instanceof Error ? err.message : String(err), err);
  }
}

function invalid(raw: string, why: string, cause?: unknown): OverlaydiffError {
  return new OverlaydiffError('E_USAGE', `invalid exclude pattern ${JSON.stringify(raw)}: ${why}`, cause === undefined ? {} : { cause });
}

/**
 * The text a pattern sees for a byte path: the UTF-8 decode when the bytes are valid UTF-8 (the
 * common case, one native check), otherwise valid sequences decoded and every other byte b as
 * U+DC00+b. Injective: distinct byte paths give distinct texts.
 */
export function toMatchText(path: Buffer): string {
  if (isUtf8(path)) return path.toString('utf8');
  let text = '';
  let runStart = 0;
  let i = 0;
  while (i < path.length) {
    const length = utf8LengthAt(path, i);
    if (length > 0) {
      i += length;
      continue;
    }
    text += path.toString('utf8', runStart, i) + String.fromCharCode(ESCAPE_BASE + path[i]!);
    i += 1;
    runStart = i;
  }
  return text + path.toString('utf8', runStart);
}

// Length of the valid UTF-8 sequence at i, or 0. The lead byte gives the candidate length;
// isUtf8 rejects overlong forms, surrogates and truncated sequences.
function utf8LengthAt(path: Buffer, i: number): number {
  const lead = path[i]!;
  if (lead < 0x80) return 1;
  const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  return length > 0 && i + length <= path.length && isUtf8(path.subarray(i, i + length)) ? length : 0;
}
