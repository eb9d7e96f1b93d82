import { describe, expect, it } from 'vitest';
import { splitPathList } from './path-list.js';

describe('splitPathList', () => {
  it('splits lowerdir-style lists topmost first', () => {
    expect(splitPathList('/l0:/l1:/l2')).toEqual(['/l0', '/l1', '/l2']);
  });
  it('keeps an escaped colon inside a path', () => {
    expect(splitPathList('/a\\:b:/c')).toEqual(['/a:b', '/c']);
  });
  it('ignores empty items', () => {
    expect(splitPathList('/a::/b:')).toEqual(['/a', '/b']);
  });
});
