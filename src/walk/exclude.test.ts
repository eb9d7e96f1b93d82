import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { OverlaydiffError } from '../errors.js';
import { createExcludeFilter, toMatchText, type ExcludeFilter } from './exclude.js';

const b = (text: string): Buffer => Buffer.from(text, 'utf8');
const bytes = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? b(p) : Buffer.from(p))));

function filterFor(...patterns: string[]): ExcludeFilter {
  const filter = createExcludeFilter(patterns);
  if (filter === undefined) throw new Error('expected a filter');
  return filter;
}

// The paths among `paths` that `patterns` exclude (as non-directories unless `dirs` says otherwise).
function excluded(patterns: string[], paths: string[], dirs = false): string[] {
  const filter = filterFor(...patterns);
  return paths.filter((p) => filter(b(p), dirs));
}

function usageError(patterns: readonly unknown[]): OverlaydiffError {
  try {
    createExcludeFilter(patterns as string[]);
  } catch (err) {
    if (err instanceof OverlaydiffError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(patterns)} to be refused`);
}

describe('createExcludeFilter: no patterns', () => {
  it('returns undefined for an empty list, so callers skip matching entirely', () => {
    expect(createExcludeFilter([])).toBeUndefined();
  });
});

describe('createExcludeFilter: what a pattern matches', () => {
  const tree = [
    'a.log',
    'a.log.gz',
    'alog',
    '.hidden.log',
    'var',
    'var/log',
    'var/log/syslog.log',
    'var/log/old/x.log',
    'var/cache',
    'var/cache/apt/pkgcache.bin',
    'var/cache2',
    'var/cachex/a',
    'x/var/cache',
    'dir.log/inside.txt',
  ];

  it('**/*.log matches .log names at any depth, dotfiles included, and everything below a .log directory', () => {
    expect(excluded(['**/*.log'], tree)).toEqual(['a.log', '.hidden.log', 'var/log/syslog.log', 'var/log/old/x.log', 'dir.log/inside.txt']);
  });

  it('var/cache matches that path and its subtree, not siblings sharing a prefix nor the same name deeper', () => {
    expect(excluded(['var/cache'], tree)).toEqual(['var/cache', 'var/cache/apt/pkgcache.bin']);
  });

  it('var/cache/** matches the directory itself as well as its subtree (picomatch: x/** matches x)', () => {
    expect(excluded(['var/cache/**'], tree)).toEqual(['var/cache', 'var/cache/apt/pkgcache.bin']);
  });

  it('*.tmp matches at the top level only (fast-glob baseNameMatch: false); **/*.tmp matches at any depth', () => {
    const paths = ['a.tmp', '.tmp', 'd/a.tmp', 'd/e/b.tmp', 'a.tmp/inner', 'a.tmpx'];
    expect(excluded(['*.tmp'], paths)).toEqual(['a.tmp', '.tmp', 'a.tmp/inner']);
    expect(excluded(['**/*.tmp'], paths)).toEqual(['a.tmp', '.tmp', 'd/a.tmp', 'd/e/b.tmp', 'a.tmp/inner']);
  });

  it('matches dotfiles and dot directories with * and ** (dot: true)', () => {
    const paths = ['.bashrc', 'home/u/.cache/x', '.git', '.git/objects/ab', 'a/.git/config', 'visible'];
    expect(excluded(['*'], paths)).toEqual(paths); // every path has a top-level ancestor matching *
    expect(excluded(['.*'], paths)).toEqual(['.bashrc', '.git', '.git/objects/ab']);
    expect(excluded(['.git'], paths)).toEqual(['.git', '.git/objects/ab']);
    expect(excluded(['**/.git'], paths)).toEqual(['.git', '.git/objects/ab', 'a/.git/config']);
    expect(excluded(['home/*/.cache'], paths)).toEqual(['home/u/.cache/x']);
  });

  it('reads brackets as bash does: sets, ranges, [!…] and [^…] negation, POSIX classes, escaped literals', () => {
    const paths = ['a.txt', 'b.txt', 'c.txt', '!.txt', 'file1.log', 'file12.log', '[x]', 'x'];
    expect(excluded(['[ab].txt'], paths)).toEqual(['a.txt', 'b.txt']);
    expect(excluded(['[!ab].txt'], paths)).toEqual(['c.txt', '!.txt']);
    expect(excluded(['[^ab].txt'], paths)).toEqual(['c.txt', '!.txt']);
    expect(excluded(['file[0-9].log'], paths)).toEqual(['file1.log']);
    expect(excluded(['file[[:digit:]]*.log'], paths)).toEqual(['file1.log', 'file12.log']);
    expect(excluded(['\\[x\\]'], paths)).toEqual(['[x]']);
  });

  it('never lets a bracket expression or ? match the "/" between segments', () => {
    expect(excluded(['a[!x]b', 'c?d'], ['a/b', 'c/d', 'ayb', 'ced'])).toEqual(['ayb', 'ced']);
  });

  it('expands braces and extglobs, and reads !(…) as an extglob, not as negation', () => {
    const paths = ['a/c', 'b/c', 'd/c', 'x1', 'x2', 'x4', 'keep', 'drop'];
    expect(excluded(['{a,b}/c'], paths)).toEqual(['a/c', 'b/c']);
    expect(excluded(['x{1..3}'], paths)).toEqual(['x1', 'x2']);
    expect(excluded(['@(keep|x4)'], paths)).toEqual(['x4', 'keep']);
    expect(excluded(['!(keep)'], ['keep', 'keep/x', 'drop', 'drop/x'])).toEqual(['drop', 'drop/x']);
  });

  it('matches ? against one character, so one UTF-8 encoded é is one ?', () => {
    expect(excluded(['caf?', 'na?ve/*'], ['café', 'cafe', 'cafée', 'naïve/x', 'naive'])).toEqual(['café', 'cafe', 'naïve/x']);
  });

  it('matches non-ASCII UTF-8 patterns against UTF-8 names', () => {
    expect(excluded(['日本/**', '**/*.ÿ'], ['日本', '日本/語', '日本語', 'x/y.ÿ'])).toEqual(['日本', '日本/語', 'x/y.ÿ']);
  });

  it('lets ** and * cross names holding line terminators (picomatch alone does not for **)', () => {
    const paths = ['x\ny/a.log', 'a\u2028b/c.log', 'a\rb/c/d.log', 'a\n.log', 'a\u2029/q'];
    expect(excluded(['**/*.log'], paths)).toEqual(['x\ny/a.log', 'a\u2028b/c.log', 'a\rb/c/d.log', 'a\n.log']);
    expect(excluded(['a*/q'], paths)).toEqual(['a\u2029/q']);
    expect(picomatch('**/*.log', { dot: true })('x\ny/a.log')).toBe(false); // why the filter adds the 's' flag
  });

  it('excludes a path when any one of several patterns matches', () => {
    expect(excluded(['*.tmp', 'var/cache', '**/*.log'], ['a.tmp', 'var/cache/x', 'q/r.log', 'q/r.txt'])).toEqual(['a.tmp', 'var/cache/x', 'q/r.log']);
  });
});

describe('createExcludeFilter: subtrees', () => {
  it('excludes a path when an ancestor matches, for patterns of every form, not only static or /** ones', () => {
    const filter = filterFor('var/c*', 'opt/{x,y}', 'srv/+(a|b)');
    for (const path of ['var/cache/a/b/c', 'opt/y/z', 'srv/ab/f']) expect(filter(b(path)), path).toBe(true);
    for (const path of ['var/log/c', 'opt/z/y', 'srv/c/ab']) expect(filter(b(path)), path).toBe(false);
  });

  it('agrees with picomatch applied to the path and each of its ancestors', () => {
    const patterns = [
      '**/*.log',
      'var/cache',
      'var/cache/**',
      '*.tmp',
      'a/*/c',
      '**/b',
      '{x,y}/**/z',
      '.*',
      'a/**/b/*',
      '[!a]*/q',
      'bad-*/**',
      '**',
      '*',
      '!(keep)',
      '*/!(b)',
      '+(a|b)/c',
      'a/**',
    ];
    const paths = [
      'a',
      'a/b',
      'a/b/c',
      'a/b/c/d',
      'var/cache',
      'var/cache/x',
      'x/z',
      'y/m/n/z/w',
      'q.log',
      'd/q.log/e',
      '.env',
      'b/q/r',
      'a/q',
      'a.tmp/b.tmp',
      'bad-x',
      'bad-x/y',
      'keep',
      'keep/x',
      'ab/c/d',
    ];
    for (const pattern of patterns) {
      const reference = picomatch(pattern, { dot: true, posix: true });
      const filter = filterFor(pattern);
      for (const path of paths) {
        const segments = path.split('/');
        const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
        expect(filter(b(path)), `${pattern} vs ${path}`).toBe(prefixes.some((prefix) => reference(prefix)));
      }
    }
  });
});

describe('createExcludeFilter: pattern normalisation', () => {
  const paths = ['var/cache', 'var/cache/x', 'x', 'a/b'];

  it.each([
    ['/var/cache', ['var/cache', 'var/cache/x']],
    ['./x', ['x']],
    ['.//x', ['x']],
    ['././x', ['x']],
    ['//a//b', ['a/b']],
  ])('treats %s as relative to the upperdir', (pattern, expected) => {
    expect(excluded([pattern], paths)).toEqual(expected);
  });

  it('reads a trailing "/" as directories only: the entry itself when it is a directory, and its subtree', () => {
    const filter = filterFor('build/', '**/node_modules/');
    expect(filter(b('build'), false)).toBe(false);
    expect(filter(b('build'), true)).toBe(true);
    expect(filter(b('build'))).toBe(false); // isDirectory defaults to false
    expect(filter(b('build/out.o'))).toBe(true);
    expect(filter(b('src/build'), true)).toBe(false);
    expect(filter(b('app/node_modules'), true)).toBe(true);
    expect(filter(b('app/node_modules/x/index.js'))).toBe(true);
    expect(filter(b('app/node_modules'), false)).toBe(false);
  });

  it('lets a directory flag change nothing for a pattern without a trailing "/"', () => {
    const filter = filterFor('var/cache');
    expect([filter(b('var/cache'), true), filter(b('var/cache'), false), filter(b('var'), true)]).toEqual([true, true, false]);
  });

  it('accepts an escaped leading "!" as a literal', () => {
    expect(excluded(['\\!important'], ['!important', 'important'])).toEqual(['!important']);
  });
});

describe('createExcludeFilter: names that are not UTF-8', () => {
  const ff = bytes('bad-', [0xff]);
  const fe = bytes('bad-', [0xfe]);

  it('lets * and ? match each stray byte as one character', () => {
    const filter = filterFor('bad-?');
    expect([filter(ff), filter(fe), filter(bytes('bad-', [0xff, 0xfe]))]).toEqual([true, true, false]);
    expect(filterFor('bad-*')(bytes('bad-', [0xff, 0xfe, 0x80]))).toBe(true);
    expect(filterFor('**/*.log')(bytes([0xc3, 0x28], '/x.log'))).toBe(true);
  });

  it('names byte 0xff exactly as U+DCFF (surrogateescape) and never confuses it with another byte', () => {
    const filter = filterFor('bad-\udcff');
    expect([filter(ff), filter(fe)]).toEqual([true, false]);
  });

  it('does not match a stray byte with U+FFFD or with the latin1 character of the same value', () => {
    expect(filterFor('bad-\ufffd')(ff)).toBe(false);
    expect(filterFor('bad-ÿ')(ff)).toBe(false);
    expect(filterFor('bad-ÿ')(b('bad-ÿ'))).toBe(true);
  });

  it('keeps valid UTF-8 around stray bytes as text', () => {
    const name = bytes('café-', [0xff], '-日本');
    expect(filterFor('caf?-?-日本')(name)).toBe(true);
    expect(filterFor('café-*')(name)).toBe(true);
  });

  it('never turns an overlong encoding into a "/" (no segment split from c0 af)', () => {
    const name = bytes('a', [0xc0, 0xaf], 'b');
    expect(filterFor('a/b')(name)).toBe(false);
    expect(filterFor('a??b')(name)).toBe(true);
  });

  it('escapes truncated sequences and UTF-8 encoded surrogates byte by byte', () => {
    expect(toMatchText(bytes('x', [0xe2, 0x82]))).toBe('x\udce2\udc82');
    expect(toMatchText(bytes([0xed, 0xa0, 0x80]))).toBe('\udced\udca0\udc80');
    expect(toMatchText(bytes([0xf4, 0x90, 0x80, 0x80]))).toBe('\udcf4\udc90\udc80\udc80'); // above U+10FFFF
    expect(toMatchText(bytes([0xf0, 0x9f, 0x98, 0x80, 0xff]))).toBe('😀\udcff');
  });

  it('decodes valid UTF-8 unchanged and maps distinct byte strings to distinct texts (seeded)', () => {
    let seed = 0x5eed;
    const random = (n: number): number => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) % n;
    const seen = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      // Bias toward bytes that start or continue UTF-8 sequences, so valid and broken ones mix.
      const alphabet = [0x61, 0x2f, 0x80, 0xbf, 0xc2, 0xc3, 0xe2, 0x82, 0xac, 0xed, 0xf0, 0x9f, 0xff];
      const buf = Buffer.from(Array.from({ length: 1 + random(6) }, () => alphabet[random(alphabet.length)]!));
      const text = toMatchText(buf);
      expect(fromMatchText(text).equals(buf), buf.toString('hex')).toBe(true);
      const earlier = seen.get(text);
      expect(earlier === undefined || earlier === buf.toString('hex')).toBe(true);
      seen.set(text, buf.toString('hex'));
    }
    expect(toMatchText(b('usr/lib/日本/é'))).toBe('usr/lib/日本/é');
  });
});

// The inverse of toMatchText, written independently: U+DC80–U+DCFF → that byte, all else → UTF-8.
function fromMatchText(text: string): Buffer {
  const out: Buffer[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    out.push(cp >= 0xdc80 && cp <= 0xdcff ? Buffer.from([cp - 0xdc00]) : Buffer.from(ch, 'utf8'));
  }
  return Buffer.concat(out);
}

describe('createExcludeFilter: refused patterns', () => {
  it.each([
    ['', /matches no path/],
    ['/', /matches no path/],
    ['./', /matches no path/],
    ['!*.log', /negated patterns/],
    ['!!x', /negated patterns/],
    ['a/../b', /'\.' or '\.\.' segments/],
    ['.', /'\.' or '\.\.' segments/],
    ['a/./b', /'\.' or '\.\.' segments/],
    ['file[1', /Missing closing: "\]"/],
    ['a)', /Missing opening: "\("/],
    ['@(a|b', /Missing closing: "\)"/],
  ])('refuses %j with E_USAGE naming the pattern', (pattern, reason) => {
    const err = usageError(['ok/*', pattern]);
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toContain(`invalid exclude pattern ${JSON.stringify(pattern)}`);
    expect(err.message).toMatch(reason);
  });

  it('refuses a pattern longer than picomatch allows, keeping its error as the cause', () => {
    const err = usageError(['x'.repeat(70_000)]);
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toMatch(/exceeds maximum allowed length/);
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('refuses values that are not strings, and a list that is not an array', () => {
    expect(usageError([42]).message).toMatch(/not a string/);
    expect(() => createExcludeFilter('*.log' as unknown as string[])).toThrow(/array of strings/);
  });
});
