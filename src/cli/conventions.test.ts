// The command-line conventions of skopeo and umoci: versions, help, global flags anywhere, usage errors.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useCapturedOutput } from '../../fixtures/captured-output.js';
import { allCommands } from './builtin-commands.js';
import { main } from './main.js';
import { packageVersion } from './version.js';

const output = useCapturedOutput();
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-conventions-'));
  mkdirSync(join(root, 'upper'));
  writeFileSync(join(root, 'upper/f'), 'x');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  output.out = '';
  output.err = '';
  const code = await main(argv);
  return { code, out: output.out, err: output.err };
}

describe('overlaydiff command-line conventions', () => {
  it.each([['--version'], ['-v'], ['version'], ['--debug', '--version']])('%s prints the version', async (...argv) => {
    expect(await run(argv)).toEqual({ code: 0, out: `${packageVersion()}\n`, err: '' });
  });

  it('prints the version as JSON', async () => {
    const r = await run(['--json', 'version']);
    expect(JSON.parse(r.out)).toEqual({ schemaVersion: 1, version: packageVersion() });
  });

  it.each(allCommands().map((c) => c.name))('%s: help CMD, CMD --help and --help CMD print the same help', async (name) => {
    const viaHelp = await run(['help', name]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.out).toMatch(new RegExp(`^usage: overlaydiff ${name}\\b`));
    expect(await run([name, '--help'])).toEqual(viaHelp);
    expect(await run(['--help', name])).toEqual(viaHelp);
  });

  it('lists every command in the top-level help', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      for (const c of allCommands()) expect(r.out).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[()]/g, '\\$&')}$`, 'm'));
    }
    const bare = await run([]);
    expect(bare.code).toBe(2);
    expect(bare.out).toBe('');
    expect(bare.err).toContain('usage: overlaydiff');
  });

  it('takes the global flags before or after the command', async () => {
    const layer = join(root, 'l.tar');
    const before = await run(['--json', '--no-progress', '--debug', 'diff', '--upper', join(root, 'upper'), '-o', layer, '--xattr-namespace', 'user']);
    const after = await run(['diff', '--upper', join(root, 'upper'), '-o', layer, '--xattr-namespace', 'user', '--json', '--no-progress', '--debug']);
    expect(before.code).toBe(0);
    expect(before).toEqual(after);
    expect(JSON.parse(before.out)).toHaveProperty('diffID');
    for (const command of ['verify', 'inspect', 'rm', 'fsck', 'gc', 'apply', 'flatten']) {
      const r = await run(['--no-progress', '--debug', command, '--help']);
      expect(r.code, command).toBe(0);
    }
  });

  it('prints --debug stack traces whether --debug comes first or last', async () => {
    for (const argv of [
      ['--debug', 'fsck', '--layout', join(root, 'nope')],
      ['fsck', '--layout', join(root, 'nope'), '--debug'],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/\n {4}at /);
    }
    expect((await run(['fsck', '--layout', join(root, 'nope')])).err).not.toMatch(/\n {4}at /);
  });

  it("points a usage error at the command's help, on stderr", async () => {
    const r = await run(['diff', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^overlaydiff: .*--bogus.*\nTry 'overlaydiff diff --help'\.\n$/);
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe(`overlaydiff: unknown command "frobnicate" [E_USAGE]\nTry 'overlaydiff --help'.\n`);
    expect((await run(['--frob', 'diff'])).err).toContain(`Try 'overlaydiff diff --help'.`);
    expect((await run(['help', 'frobnicate'])).code).toBe(2);
  });
});
