import { describe, expect, it } from 'vitest';
import { OverlaydiffError } from '../errors.js';
import type { TarEntry } from '../types.js';
import { MemberOrder, compareMemberPositions, memberPosition } from './member-order.js';

const member = (path: string): TarEntry => ({
  path: Buffer.from(path),
  type: 'file',
  mode: 0,
  uid: 0,
  gid: 0,
  mtime: 0n,
  size: 0n,
  devMajor: 0,
  devMinor: 0,
  xattrs: [],
});

function check(paths: string[]): void {
  const order = new MemberOrder();
  for (const p of paths) order.check(member(p));
}

function failure(paths: string[]): OverlaydiffError {
  try {
    check(paths);
  } catch (err) {
    if (err instanceof OverlaydiffError) return err;
    throw err;
  }
  throw new Error('no failure');
}

describe('MemberOrder', () => {
  it('accepts a layer in canonical order with whiteouts in their names’ places and opaque markers after their dirs', () => {
    expect(() => check(['.wh.a', 'a', 'a/.wh..wh..opq', 'a/.wh.b', 'a/c', 'a/c/d', 'a-b', 'a.b', 'b/.wh.x', 'c'])).not.toThrow();
  });

  it('fails loudly, naming the path, when a member comes twice', () => {
    const err = failure(['a', 'a/b', 'a/b']);
    expect(err.code).toBe('E_INTERNAL');
    expect(err.message).toContain('a/b: layer member emitted twice');
  });

  it('fails when a whiteout follows the entry of its own name, or a member repeats after its subtree', () => {
    expect(failure(['d', 'd/.wh.x', 'd/x', 'd/.wh.x']).message).toContain('d/.wh.x');
    expect(failure(['a', 'a/b', 'c', 'a/b']).message).toContain('out of canonical order');
  });

  it('places a marker by the name it acts on, and reads a directory named .wh.x as an entry', () => {
    expect(memberPosition(Buffer.from('a/.wh.b'), 'file')).toEqual({ key: Buffer.from('a/b'), marker: 'whiteout' });
    expect(memberPosition(Buffer.from('a/.wh..wh..opq'), 'file')).toEqual({ key: Buffer.from('a/'), marker: 'opaque' });
    expect(memberPosition(Buffer.from('a/.wh.b'), 'dir')).toEqual({ key: Buffer.from('a/.wh.b'), marker: 'entry' });
    const at = (path: string): ReturnType<typeof memberPosition> => memberPosition(Buffer.from(path), 'file');
    expect(compareMemberPositions(at('a/.wh.b'), at('a/b'))).toBeLessThan(0);
    expect(compareMemberPositions(at('a/b'), at('a/.wh.b'))).toBeGreaterThan(0);
    expect(compareMemberPositions(at('a/.wh..wh..opq'), at('a/!'))).toBeLessThan(0);
  });
});
