import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDiffArgs, resolveDiffOptions, runDiff, type DiffCommand } from './diff-command.js';
import { DIFF_USAGE } from './usage-texts.js';

const parse = (args: string[], env: NodeJS.ProcessEnv = {}): DiffCommand => parseDiffArgs(args, env, false);

describe('parseDiffArgs: where the snapshot comes from', () => {
  it('reads --upper and --lower as path lists', () => {
    expect(parse(['--upper', '/u', '--lower', '/l0:/l\\:1']).input).toEqual({ kind: 'paths', upper: '/u', lowers: ['/l0', '/l:1'] });
  });

  it('turns a ":"-separated --upper into several uppers, topmost first', () => {
    expect(parse(['--upper', '/u2:/u1', '--lower', '/l']).input).toEqual({ kind: 'paths', upper: ['/u2', '/u1'], lowers: ['/l'] });
    expect(parse(['--upper', '/a\\:b']).input).toEqual({ kind: 'paths', upper: '/a:b', lowers: [] });
  });

  it('reads --workdir with the path form only', () => {
    expect(parse(['--upper', '/u', '--workdir', '/w']).input).toEqual({ kind: 'paths', upper: '/u', lowers: [], workdir: '/w' });
    expect(() => parse(['--mountpoint', '/m', '--workdir', '/w'])).toThrow('--workdir, --mountpoint: give');
  });

  it('takes --mounts FILE or --mountpoint DIR instead', () => {
    expect(parse(['--mounts', 'm.json']).input).toEqual({ kind: 'mounts', file: 'm.json' });
    expect(parse(['--mountpoint', '/merged']).input).toEqual({ kind: 'mountpoint', dir: '/merged' });
  });

  it.each([
    [['--mounts', 'm.json', '--upper', '/u'], '--upper, --mounts: give --upper [--lower], --mounts or --mountpoint, not several'],
    [['--mountpoint', '/m', '--lower', '/l'], '--lower, --mountpoint: give'],
    [['--mounts', 'm.json', '--mountpoint', '/m'], '--mounts, --mountpoint: give'],
    [['--lower', '/l'], '--upper is required (or --mounts FILE, or --mountpoint DIR)'],
    [[], '--upper is required'],
    [['--upper', ''], '--upper needs at least one directory'],
    [['--upper', ':'], `--upper ":": a layer list cannot start with ':'`],
    [['--mounts', ''], '--mounts needs a value'],
  ])('refuses %j', (args, message) => {
    expect(() => parse(args)).toThrow(message);
    try {
      parse(args);
    } catch (err) {
      expect(err).toMatchObject({ code: 'E_USAGE' });
    }
  });
});

describe('parseDiffArgs: other options', () => {
  it('keeps --xattr-namespace only when given', () => {
    expect(parse(['--upper', '/u']).xattrNamespace).toBeUndefined();
    expect(parse(['--upper', '/u', '--xattr-namespace', 'user']).xattrNamespace).toBe('user');
    expect(() => parse(['--upper', '/u', '--xattr-namespace', 'system'])).toThrow('--xattr-namespace must be trusted or user');
  });

  it('collects repeated --exclude globs in order', () => {
    expect(parse(['--upper', '/u', '--exclude', 'tmp/**', '--exclude', '*.log']).options.exclude).toEqual(['tmp/**', '*.log']);
    expect(parse(['--upper', '/u']).options).not.toHaveProperty('exclude');
    expect(() => parse(['--upper', '/u', '--exclude', ''])).toThrow('--exclude needs a glob pattern');
  });

  it('keeps compression, level and the source date epoch', () => {
    const c = parse(['--upper', '/u', '--compression', 'gzip', '--level', '9'], { SOURCE_DATE_EPOCH: '100' });
    expect(c.options).toEqual({ compression: 'gzip', compressionLevel: 9, sourceDateEpoch: 100 });
  });

  it('refuses --level for an uncompressed layer', () => {
    expect(() => parse(['--upper', '/u', '--level', '9'])).toThrow('--level needs --compression gzip or zstd');
    expect(() => parse(['--upper', '/u', '--compression', 'none', '--level', '9'])).toThrow('--level needs --compression gzip or zstd, not none');
  });

  it('names where a malformed source date epoch came from', () => {
    expect(() => parse(['--upper', '/u'], { SOURCE_DATE_EPOCH: 'yesterday' })).toThrow('SOURCE_DATE_EPOCH (environment) must be a whole number');
    expect(() => parse(['--upper', '/u', '--source-date-epoch', '1e9'])).toThrow('--source-date-epoch must be a whole number');
    expect(parse(['--upper', '/u', '--source-date-epoch', '5'], { SOURCE_DATE_EPOCH: 'junk' }).options.sourceDateEpoch).toBe(5);
  });

  it('documents the new inputs and options', () => {
    for (const flag of ['--mounts FILE', '--mountpoint DIR', '--exclude GLOB', '--upper DIR[:DIR...]']) expect(DIFF_USAGE).toContain(flag);
    expect(DIFF_USAGE).toMatch(/trusted \(default/);
  });
});

describe('resolveDiffOptions', () => {
  let root: string;
  let sysfs: string;
  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'overlaydiff-diffcmd-')));
    for (const d of ['U', 'W', 'L0', 'L1', 'merged', 'params']) mkdirSync(join(root, d));
    writeFileSync(join(root, 'U/f'), 'x');
    sysfs = join(root, 'params');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const p = (name: string): string => join(root, name);
  const overlay = (extra: string[]): object => ({
    type: 'overlay',
    source: 'overlay',
    options: [`workdir=${p('W')}`, `upperdir=${p('U')}`, `lowerdir=${p('L0')}:${p('L1')}`, ...extra],
  });
  const mountsFile = (doc: unknown): string => {
    writeFileSync(p('mounts.json'), typeof doc === 'string' ? doc : JSON.stringify(doc));
    return p('mounts.json');
  };

  it('passes paths through, with the trusted default', () => {
    expect(resolveDiffOptions(parse(['--upper', '/u', '--lower', '/l', '--exclude', 'x']))).toEqual({
      upper: '/u',
      lowers: ['/l'],
      xattrNamespace: 'trusted',
      compression: 'none',
      exclude: ['x'],
    });
  });

  it("resolves a containerd mounts file into upperdir, lowerdirs and the mount's namespace", () => {
    const file = mountsFile({
      upper: [overlay(['userxattr', 'index=off'])],
      lower: [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${p('L0')}:${p('L1')}`, 'userxattr'] }],
    });
    expect(resolveDiffOptions(parse(['--mounts', file]), { sysfsDir: sysfs })).toMatchObject({
      upper: p('U'),
      lowers: [p('L0'), p('L1')],
      xattrNamespace: 'user',
    });
  });

  it('passes the workdir of an index=on upper mount (its index is part of the snapshot), not of an index=off one', () => {
    const lower = [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${p('L0')}:${p('L1')}`] }];
    const on = mountsFile({ upper: [overlay(['index=on'])], lower });
    expect(resolveDiffOptions(parse(['--mounts', on]), { sysfsDir: sysfs })).toMatchObject({ upper: p('U'), workdir: p('W') });
    const off = mountsFile({ upper: [overlay(['index=off'])], lower });
    expect(resolveDiffOptions(parse(['--mounts', off]), { sysfsDir: sysfs })).not.toHaveProperty('workdir');
  });

  it('reads a bare Mount array as the upper of a first layer', () => {
    const file = mountsFile([{ type: 'bind', source: p('U'), options: ['rw', 'rbind'] }]);
    expect(resolveDiffOptions(parse(['--mounts', file]))).toMatchObject({ upper: p('U'), lowers: [], xattrNamespace: 'trusted' });
  });

  it('refuses a --xattr-namespace that contradicts the mounts', () => {
    const file = mountsFile({ upper: [overlay([])], lower: [{ type: 'overlay', options: [`lowerdir=${p('L0')}:${p('L1')}`] }] });
    expect(() => resolveDiffOptions(parse(['--mounts', file, '--xattr-namespace', 'user']), { sysfsDir: sysfs })).toThrow(
      /xattr namespace user contradicts the upper mount, which lacks userxattr/,
    );
  });

  it('names the mounts file in its errors', () => {
    expect(() => resolveDiffOptions(parse(['--mounts', mountsFile('{"upper": [')]))).toThrow(`${p('mounts.json')}: not valid JSON`);
    expect(() => resolveDiffOptions(parse(['--mounts', mountsFile({ upper: [{ type: 'overlay', options: [1] }] })]))).toThrow(
      `${p('mounts.json')}: upper[0].options[0]: expected a string, got number`,
    );
    expect(() => resolveDiffOptions(parse(['--mounts', p('missing.json')]))).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND' }));
  });

  it('resolves --mountpoint through mountinfo, octal escapes and all', () => {
    const escaped = (s: string): string => s.replace(/ /g, '\\040');
    const spaced = p('L 1');
    mkdirSync(spaced);
    const line = `67 43 0:39 / ${escaped(p('merged'))} rw,relatime - overlay overlay rw,lowerdir=${p('L0')}:${escaped(spaced)},upperdir=${p('U')},workdir=${p('W')},userxattr`;
    writeFileSync(p('mountinfo'), `1 0 8:1 / / rw - ext4 /dev/sda1 rw\n${line}\n`);
    const env = { mountinfoPath: p('mountinfo'), sysfsDir: sysfs };
    expect(resolveDiffOptions(parse(['--mountpoint', p('merged')]), env)).toMatchObject({
      upper: p('U'),
      lowers: [p('L0'), spaced],
      xattrNamespace: 'user',
    });
    expect(() => resolveDiffOptions(parse(['--mountpoint', p('merged'), '--xattr-namespace', 'trusted']), env)).toThrow(
      `--xattr-namespace trusted contradicts the overlay at ${p('merged')}, which has userxattr`,
    );
  });

  it('runs the diff on the resolved snapshot', async () => {
    const file = mountsFile([{ type: 'bind', source: p('U'), options: ['rw', 'rbind'] }]);
    const { result, mismatches } = await runDiff({ ...parse(['--mounts', file, '-o', p('layer.tar')]) }, new AbortController().signal);
    expect(mismatches).toBeUndefined();
    expect(result.stats.entries).toBe(1);
    expect(readFileSync(p('layer.tar')).length).toBe(result.descriptor.size);
  });

  it('accepts --verify only with --mountpoint and a layer file', () => {
    expect(() => parse(['--upper', p('U'), '-o', p('l.tar'), '--verify'])).toThrow(/--verify needs --mountpoint/);
    expect(() => parse(['--mountpoint', p('merged'), '-o', '-', '--verify'])).toThrow(/--verify needs -o FILE/);
  });
});
