// Client writes of garbage into /ctl (slots naming no node, binary ids,
// malformed addresses, huge bodies) in the deterministic simulation (issue
// 8): the CAL list every node computes (calListOf, the function the real
// actors use) must leave them out, so no seed may wedge or disagree. With
// them counted, seeds fail by not converging (checked when this was written).
import { describe, expect, it } from 'vitest';
import { runSeeds } from './sim-helpers.js';

describe('simulation with /ctl garbage', () => {
  it('every seed converges with every acknowledged write, for 1, 3 and 5 CALs', () => {
    expect(runSeeds(1, 1, 30, { ctlGarbage: true }).failures).toEqual([]);
    expect(runSeeds(3, 1, 80, { ctlGarbage: true }).failures).toEqual([]);
    expect(runSeeds(5, 1, 40, { ctlGarbage: true }).failures).toEqual([]);
  });
});
