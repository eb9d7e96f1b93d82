import { describe, expect, it } from 'vitest';
import { pathComponents } from './path-components.js';

const parts = (path: string | Buffer): string[] => pathComponents(Buffer.isBuffer(path) ? path : Buffer.from(path, 'latin1')).map((p) => p.toString('latin1'));

describe('pathComponents', () => {
  it('drops empty and dot components and keeps dot-dot for the caller to judge', () => {
    expect(parts('')).toEqual([]);
    expect(parts('/')).toEqual([]);
    expect(parts('a')).toEqual(['a']);
    expect(parts('/a//./b/')).toEqual(['a', 'b']);
    expect(parts('./a/../b')).toEqual(['a', '..', 'b']);
    expect(parts('.a/..b/...')).toEqual(['.a', '..b', '...']);
  });

  it('keeps every byte of non-UTF-8 names', () => {
    expect(pathComponents(Buffer.from([0x61, 0x2f, 0xff, 0xfe]))).toEqual([Buffer.from('a'), Buffer.from([0xff, 0xfe])]);
  });
});
