import { describe, expect, it } from 'vitest';
import { runSeeds } from './sim-helpers.js';
import { TEST_TIMEOUT } from '../helpers/deadlines.js';

// Seeds of the deterministic cluster simulation with 5 CALs: message loss,
// duplication, reordering, partitions, pauses and CAL churn, then healing.
// Safety (one value per seqn, acknowledged writes applied once at their
// seqn, equal stores) and liveness after healing are checked on each seed.
describe('simulation, 5 CALs', () => {
  it('keeps every invariant over 600 seeds', { timeout: TEST_TIMEOUT.sim }, () => {
    const { failures, results } = runSeeds(5, 1, 600);
    expect(failures).toEqual([]);
    expect(results.reduce((a, r) => a + r.writesAcked, 0)).toBeGreaterThan(600 * 15);
  });
});
