import { describe, expect, it } from 'vitest';
import { displayPath } from './errors.js';

describe('displayPath', () => {
  it('keeps valid UTF-8 and escapes other bytes', () => {
    expect(displayPath(Buffer.from('héllo/ok'))).toBe('héllo/ok');
    expect(displayPath(Buffer.from([0x61, 0xff, 0x62]))).toBe('a\\xffb');
    expect(displayPath(Buffer.from([0xe2, 0x82]))).toBe('\\xe2\\x82');
  });
});
