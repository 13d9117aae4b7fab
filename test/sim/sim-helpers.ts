import { reproCommand, runSim, type SimOptions, type SimResult } from '../../src/sim/cluster.js';

/** Run seeds [start, start+count) and return a line per failing seed (with its reproduction command). */
export function runSeeds(cals: number, start: number, count: number, extra: Partial<SimOptions> = {}): { failures: string[]; results: SimResult[] } {
  const failures: string[] = [];
  const results: SimResult[] = [];
  for (let seed = start; seed < start + count; seed++) {
    const r = runSim({ seed, cals, ...extra });
    results.push(r);
    if (!r.ok) failures.push(`seed ${seed} cals ${cals}: ${r.failures[0]} -- reproduce: ${reproCommand(seed, cals)}`);
  }
  return { failures, results };
}
