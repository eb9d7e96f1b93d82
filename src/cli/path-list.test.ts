import { describe, expect, it } from 'vitest';
import { OverlaydiffError } from '../errors.js';
import { splitLowerdir } from '../mounts/overlay-escapes.js';
import { splitPathList } from './path-list.js';

describe('splitPathList', () => {
  it('splits lowerdir-style lists topmost first', () => {
    expect(splitPathList('--lower', '/l0:/l1:/l2')).toEqual(['/l0', '/l1', '/l2']);
    expect(splitPathList('--lower', '')).toEqual([]);
  });

  it('keeps an escaped colon inside a path', () => {
    expect(splitPathList('--lower', '/a\\:b:/c')).toEqual(['/a:b', '/c']);
  });

  it('reads every list the way a mount reads lowerdir= (one grammar)', () => {
    for (const list of ['/a', '/a:/b', '/a\\:b:/c', '/a\\\\:/b', '/a\\,b:/c', '/a\\::/b']) {
      expect(splitPathList('--lower', list)).toEqual(splitLowerdir(list).lowers);
    }
  });

  it("refuses '::', which in a mount makes the layers after it data-only, naming the flag", () => {
    const err = (() => {
      try {
        splitPathList('--lower', '/a::/b');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(OverlaydiffError);
    expect(err).toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/^--lower "\/a::\/b": '::' starts data-only layers/) });
  });

  it.each([
    ['/a:', /--upper "\/a:": unescaped trailing ':'/],
    [':/a', /--upper ":\/a": a layer list cannot start with ':'/],
    ['/a:::/b', /only ':' or '::' may separate layers/],
  ])('refuses %s as the kernel does', (list, message) => {
    expect(() => splitPathList('--upper', list)).toThrow(message);
  });
});
