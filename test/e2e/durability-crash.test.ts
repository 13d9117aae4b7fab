// Crash safety on real processes: kill -9 at random moments of a write load,
// round after round, with snapshots taken often (so a kill also lands in the
// middle of one). A torn last transaction is SQLite's to discard (WAL
// checksums); what we check is the outcome: every acknowledged write of every
// round is there, with its rev, after each restart, and the node serves.
import { afterEach, describe, expect, it } from 'vitest';
import { startDoozerd, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { sameStore, withClient } from '../helpers/cluster.js';
import { until } from '../helpers/until.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';
import { dataDir, missingWrites, startDurableCluster, startWriteLoad, stopAllAndRemoveDataDirs, type Acked } from '../helpers/durable.js';

const randomMs = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('durability: kill -9 at random moments', () => {
  afterEach(stopAllAndRemoveDataDirs);

  it('one node, 6 rounds: every acked write of every round survives', async () => {
    const dir = dataDir();
    const args = ['-data', dir, '-snapshot', '25'];
    let node: DoozerdProcess = await startDoozerd({ args });
    const all: Acked = new Map();
    for (let round = 0; round < 6; round++) {
      const load = startWriteLoad([node], 3, `r${round}`);
      await until('writes flowing', () => load.acked.size >= 5, DEADLINE.converge);
      await sleep(randomMs(0, 400)); // the random moment
      await node.stop('SIGKILL');
      await load.stop();
      for (const [k, v] of load.acked) all.set(k, v);
      node = await startDoozerd({ port: node.port, args, readyTimeoutMs: DEADLINE.start });
      expect(await missingWrites(node, all), `after round ${round}`).toEqual([]);
    }
  }, TEST_TIMEOUT.bigCluster);

  it('a 3-CAL cluster, 3 rounds of killing every CAL at a random moment', async () => {
    const cluster = await startDurableCluster(['-snapshot', '40']);
    const { args, nodes } = cluster;
    let procs = cluster.procs;
    const all: Acked = new Map();
    for (let round = 0; round < 3; round++) {
      const load = startWriteLoad(procs, 4, `c${round}`);
      await until('writes flowing', () => load.acked.size >= 10, DEADLINE.converge);
      await sleep(randomMs(0, 500));
      await Promise.all(procs.map((p) => p.stop('SIGKILL')));
      await load.stop();
      for (const [k, v] of load.acked) all.set(k, v);
      procs = await Promise.all(procs.map((p, i) => startDoozerd({ port: p.port, args: args(i), readyTimeoutMs: DEADLINE.start })));
      const back = procs.map((proc, i) => ({ proc, id: nodes[i]!.id }));
      const rev = await until(`a write after round ${round}`, () => withClient(procs[round % 3]!, (c) => c.set('/after', -1, 'x')).catch(() => undefined), DEADLINE.converge);
      await sameStore(back, rev, DEADLINE.converge);
      for (const p of procs) expect(await missingWrites(p, all), `after round ${round} on ${p.addr}`).toEqual([]);
    }
  }, TEST_TIMEOUT.bigCluster);
});
