import { describe, expect, it } from 'vitest';
import { compareCanonical } from './canonical-order.js';

const sorted = (paths: string[]): string[] =>
  paths
    .map((p) => Buffer.from(p))
    .sort(compareCanonical)
    .map((b) => b.toString());

describe('compareCanonical', () => {
  it('puts a directory and its subtree before a sibling that sorts after the separator as bytes', () => {
    expect(sorted(['a-b', 'a/b', 'a', 'a.b', 'a/z'])).toEqual(['a', 'a/b', 'a/z', 'a-b', 'a.b']);
  });
  it('orders siblings by raw bytes, shorter prefix first', () => {
    expect(sorted(['b\xff', 'b', 'ab', 'b/c'])).toEqual(['ab', 'b', 'b/c', 'b\xff']);
  });
  it('says equal only for equal paths', () => {
    expect(compareCanonical(Buffer.from('x/y'), Buffer.from('x/y'))).toBe(0);
    expect(compareCanonical(Buffer.from('x/y'), Buffer.from('x'))).toBeGreaterThan(0);
  });
});
