import { describe, expect, it } from 'vitest';
import { splitLowerdir, splitMountData, unescapeOverlayPath } from './overlay-escapes.js';

describe('splitMountData', () => {
  it('splits at unescaped commas and keeps escapes for the path parsers', () => {
    expect(splitMountData('lowerdir=/a\\,b:/c,upperdir=/u,workdir=/w')).toEqual(['lowerdir=/a\\,b:/c', 'upperdir=/u', 'workdir=/w']);
  });
  it('drops empty options like the kernel', () => {
    expect(splitMountData(',userxattr,,index=off,')).toEqual(['userxattr', 'index=off']);
  });
  it('keeps an escaped backslash before a comma from escaping the comma', () => {
    expect(splitMountData('upperdir=/a\\\\,workdir=/w')).toEqual(['upperdir=/a\\\\', 'workdir=/w']);
  });
});

describe('unescapeOverlayPath', () => {
  it('drops each backslash and keeps the next character', () => {
    expect(unescapeOverlayPath('/a\\:b\\,c\\\\d')).toEqual('/a:b,c\\d');
  });
  it('drops a trailing lone backslash', () => {
    expect(unescapeOverlayPath('/a\\')).toEqual('/a');
  });
});

describe('splitLowerdir', () => {
  it('splits layers topmost first and unescapes each path', () => {
    expect(splitLowerdir('/l0:/l\\:1:/l\\,2')).toEqual({ lowers: ['/l0', '/l:1', '/l,2'], dataLowers: [] });
  });
  it('puts every layer after :: among the data-only layers', () => {
    expect(splitLowerdir('/l0:/l1::/d0::/d1')).toEqual({ lowers: ['/l0', '/l1'], dataLowers: ['/d0', '/d1'] });
  });
  it('refuses a regular layer after a data-only one, as the kernel does', () => {
    expect(() => splitLowerdir('/l0::/d0:/l1')).toThrow(/regular layers cannot follow data-only/);
  });
  it.each([
    ['/a:::/b', /only ':' or '::'/],
    ['/a:', /trailing ':'/],
    ['/a::', /trailing ':'/],
    [':/a', /cannot start with ':'/],
  ])('refuses %s', (value, message) => {
    expect(() => splitLowerdir(value)).toThrow(message);
  });
  it('keeps an escaped colon at the end of a path', () => {
    expect(splitLowerdir('/a\\::/b')).toEqual({ lowers: ['/a:', '/b'], dataLowers: [] });
  });
});

describe('escaping round trips (seeded)', () => {
  // A small LCG keeps the cases the same on every run.
  let seed = 20261123;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const ALPHABET = ['a', 'b', '/', ':', ',', '\\', ' ', '=', 'é'];
  const path = (): string => `/${Array.from({ length: 1 + random(12) }, () => ALPHABET[random(ALPHABET.length)]).join('')}`;
  const escapePath = (p: string): string => p.replace(/[\\:,]/g, '\\$&');

  it('splitLowerdir(escaped list) gives back the paths, and splitMountData keeps the option whole', () => {
    for (let i = 0; i < 500; i++) {
      const lowers = Array.from({ length: 1 + random(4) }, path);
      const option = `lowerdir=${lowers.map(escapePath).join(':')}`;
      expect(splitMountData(`${option},userxattr`)).toEqual([option, 'userxattr']);
      expect(splitLowerdir(option.slice('lowerdir='.length))).toEqual({ lowers, dataLowers: [] });
      expect(unescapeOverlayPath(escapePath(lowers[0]!))).toBe(lowers[0]);
    }
  });
});
