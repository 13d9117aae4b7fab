import { defineConfig } from 'vitest/config';
import { DEADLINE, TEST_TIMEOUT } from './test/helpers/deadlines.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Deadlines for a loaded 2-core machine, all in test/helpers/deadlines.ts.
    testTimeout: TEST_TIMEOUT.node,
    hookTimeout: DEADLINE.start * 2,
    // Cluster tests start real processes; two cores are shared with them.
    // Each worker takes its test ports from its own slice (test/helpers/ports.ts).
    maxWorkers: 2,
    // In CI a skipped test fails the run (test/reporters/no-skip-in-ci.ts).
    reporters: ['default', './test/reporters/no-skip-in-ci.ts'],
  },
});
