import { describe, expect, it } from 'vitest';
import { DIFF_USAGE } from './usage-texts.js';
import { optionsOf } from './usage-options.js';

describe('optionsOf', () => {
  it('finds long and short options once each, not dashes inside words or values', () => {
    expect(optionsOf('usage: x [-o FILE|-] --upper DIR[:DIR...]\n  --upper again, non-UTF-8, e.g. 1h30m, $SOURCE-X\n  -h, --help')).toEqual([
      '-o',
      '--upper',
      '-h',
      '--help',
    ]);
  });

  it("lists every option of diff's help", () => {
    const options = optionsOf(DIFF_USAGE);
    for (const o of [
      '--upper',
      '--lower',
      '--mounts',
      '--mountpoint',
      '--xattr-namespace',
      '--exclude',
      '--compression',
      '--level',
      '-o',
      '--output',
      '--json',
      '--layout',
      '--tag',
      '--base',
      '--verify',
      '--no-progress',
      '--debug',
    ]) {
      expect(options).toContain(o);
    }
  });
});
