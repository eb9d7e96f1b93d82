import { defineConfig } from 'vitest/config';

// Two projects: `unit` (no root, fast) and `native` (root, real overlay mounts, run contained by the Makefile).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'fixtures/**/*.test.ts'],
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
