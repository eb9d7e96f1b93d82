import { describe, expect, it } from 'vitest';
import { parseDiffArgs } from './diff-command.js';
import { runFsckCommand, runGcCommand, runRmCommand } from './layout-commands.js';

describe('diff --layout flags', () => {
  it('reads --layout, --tag and --base, and allows a terminal stdout with --layout', () => {
    const parsed = parseDiffArgs(['--upper', '/u', '--layout', '/l', '--tag', 't', '--base', 'b'], {}, true);
    expect(parsed.layout).toEqual({ dir: '/l', tag: 't', base: 'b' });
    expect(parseDiffArgs(['--upper', '/u', '-o', 'x'], {}, false).layout).toBeUndefined();
  });

  it.each([
    [['--upper', '/u', '--tag', 't'], '--tag needs --layout DIR'],
    [['--upper', '/u', '--base', 'b'], '--base needs --layout DIR'],
    [['--upper', '/u', '--layout', ''], '--layout needs a directory'],
    [['--upper', '/u', '--layout', '/l', '-o', '-'], '--layout with -o -'],
  ])('refuses %j', (args, message) => {
    expect(() => parseDiffArgs(args, {}, false)).toThrow(message);
  });
});

describe('gc, rm, fsck arguments', () => {
  it('refuse a missing --layout, a bad duration and a missing tag as usage errors', async () => {
    await expect(runGcCommand([])).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(runGcCommand(['--layout', '/l', '--grace', '1 hour'])).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('--grace') });
    await expect(runRmCommand(['--layout', '/l'])).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(runFsckCommand(['--layout', '/l', 'extra'])).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('names a directory that is not a layout', async () => {
    await expect(runFsckCommand(['--layout', '/nonexistent-layout'])).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});
