import { defineConfig } from 'vitest/config';

// Two projects: `unit` (no root, fast) and `native` (root, real overlay mounts, run contained by the Makefile).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'fixtures/**/*.test.ts'],
          // Generous: the slowest unit test takes ~1 s on a loaded 2-core machine; the bound only
          // catches a hang and must never decide a verdict (vitest's default is 5 s).
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'native',
          include: ['native-tests/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Mounts and CPU-heavy diffs: keep the 2-core machine responsive.
          maxWorkers: 2,
        },
      },
    ],
  },
});
