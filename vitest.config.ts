import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Cluster tests start real processes; two cores are shared with them.
    maxWorkers: 2,
  },
});
