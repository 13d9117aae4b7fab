import { setLogLevel } from '../../src/runtime/log.js';
import { reproCommand, runSim, type SimOptions, type SimResult } from '../../src/sim/cluster.js';

// The simulated nodes' actors log as real ones do: only errors in test output.
setLogLevel('error');

/** What a simulation failure violates (see src/sim/cluster.ts, which words them). */
export type Violation = 'agreement' | 'acknowledgement' | 'liveness' | 'unknown';

/**
 * Classifies one failure line of the simulation:
 * - agreement: two values decided for one seqn, a node applying something
 *   other than the decided value, stores differing at equal revs;
 * - acknowledgement: a write acknowledged at a seqn that holds something
 *   else, twice, unknown, chosen a wrong number of times, or not in a store
 *   at the rev it was acknowledged at;
 * - liveness: no convergence after healing (not a safety violation).
 */
export function classify(failure: string): Violation {
  if (/two values for seqn|applied .* decided|stores of nodes .* differ|reported seqn .* twice/.test(failure)) return 'agreement';
  if (/acknowledged|chosen \d+ times|has rev .*write acknowledged/.test(failure)) return 'acknowledgement';
  if (/no convergence/.test(failure)) return 'liveness';
  return 'unknown';
}

export interface SeedFailure {
  seed: number;
  /** Every failure line of the seed. */
  lines: string[];
  /** The kinds of violation among them. */
  kinds: Set<Violation>;
}

/** Run seeds [start, start+count) and return a line per failing seed (with its reproduction command). */
export function runSeeds(cals: number, start: number, count: number, extra: Partial<SimOptions> = {}): { failures: string[]; results: SimResult[]; failed: SeedFailure[] } {
  const failures: string[] = [];
  const results: SimResult[] = [];
  const failed: SeedFailure[] = [];
  for (let seed = start; seed < start + count; seed++) {
    const r = runSim({ seed, cals, ...extra });
    results.push(r);
    if (!r.ok) {
      failures.push(`seed ${seed} cals ${cals}: ${r.failures[0]} -- reproduce: ${reproCommand(seed, cals)}`);
      failed.push({ seed, lines: r.failures, kinds: new Set(r.failures.map(classify)) });
    }
  }
  return { failures, results, failed };
}
