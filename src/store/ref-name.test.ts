import { describe, expect, it } from 'vitest';
import { isValidRefName } from './ref-name.js';

describe('isValidRefName', () => {
  it.each(['latest', 'v1.0.0', 'a', 'my-app', 'a--b', 'a_b', 'x:y', 'x@y', 'a+b', 'repo/name:tag', 'A/B/C', '1'])('accepts %j', (name) => {
    expect(isValidRefName(name)).toBe(true);
  });

  it.each(['', '-a', 'a-', 'a..b', 'a/', '/a', 'a//b', 'a b', 'a---b', 'ä', 'a\nb', 'a/-b', '.'])('refuses %j', (name) => {
    expect(isValidRefName(name)).toBe(false);
  });
});
