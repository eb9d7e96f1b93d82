import { describe, expect, it } from 'vitest';
import { loadNativeAddon } from './native-addon.js';

describe('loadNativeAddon', () => {
  it('says the addon is missing and how to build it', () => {
    const url = new URL('file:///nonexistent/build/Release/xattr.node');
    expect(() => loadNativeAddon('xattr', url)).toThrow(
      /^the native addon is missing: \/nonexistent\/build\/Release\/xattr\.node could not be loaded \(Cannot find module .*\)\. .*npm rebuild overlaydiff.*C compiler, python3 and make/,
    );
  });
});
