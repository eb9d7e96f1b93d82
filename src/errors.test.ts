import { describe, expect, it } from 'vitest';
import { displayPath } from './errors.js';

describe('displayPath', () => {
  it('keeps valid UTF-8 and escapes other bytes', () => {
    expect(displayPath(Buffer.from('héllo/ok'))).toBe('héllo/ok');
    expect(displayPath(Buffer.from([0x61, 0xff, 0x62]))).toBe('a\\xffb');
    expect(displayPath(Buffer.from([0xe2, 0x82]))).toBe('\\xe2\\x82');
  });

  it('escapes control characters, so a name cannot forge a line or a terminal escape', () => {
    expect(displayPath(Buffer.from('a\nb\x1b[31mc\x00d\x7f'))).toBe('a\\x0ab\\x1b[31mc\\x00d\\x7f');
    expect(displayPath(Buffer.from('x\u009by'))).toBe('x\\xc2\\x9by');
    expect(displayPath('dir\nname')).toBe('dir\\x0aname');
  });
});
