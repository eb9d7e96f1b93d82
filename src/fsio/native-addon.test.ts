import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNativeAddon } from './native-addon.js';

describe('loadNativeAddon', () => {
  it('loads the addon of this checkout', () => {
    expect(typeof loadNativeAddon<{ list: unknown }>().list).toBe('function');
  });

  it('says the addon is missing and how to build it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'overlaydiff-no-addon-'));
    try {
      expect(() => loadNativeAddon(empty)).toThrow(
        new RegExp(
          `^the native addon is missing: no build/Release/\\*\\.node and no prebuilt binary for linux-${process.arch} in ${empty} \\(No native build was found .*\\)\\. .*npm rebuild overlaydiff.*C compiler, python3 and make`,
        ),
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
