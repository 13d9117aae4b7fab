// Cluster faults with real processes: a CAL killed with SIGKILL, a CAL paused
// with SIGSTOP, and a 5-CAL cluster. Every write acknowledged before, during
// and after the fault is read back on every live node (AckedWrites), not only
// checked for agreement between the nodes.
import { afterEach, describe, expect, it } from 'vitest';
import { stopAll } from '../helpers/doozerd-process.js';
import { AckedWrites } from '../helpers/acked-writes.js';
import { calIds, sameStore, startCluster, waitForCals, withClient } from '../helpers/cluster.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';
import { stopGracefully } from '../helpers/graceful.js';
import { until } from '../helpers/until.js';

describe('cluster faults', () => {
  afterEach(() => stopAll());

  it('kill -9 of a CAL: writes go on, it leaves /ctl/node, the slave takes its slot, no acknowledged write is lost', async () => {
    const { nodes, cals } = await startCluster({ nodes: 4, cals: 3, args: ['-timeout', '2'] });
    const slave = nodes.find((n) => !cals.includes(n))!;
    const victim = cals.find((n) => n !== nodes[0])!;
    const survivors = cals.filter((n) => n !== victim);
    const acked = new AckedWrites();
    // Writes through every CAL before, including the victim: it acknowledged them, the others must keep them.
    for (let i = 0; i < 6; i++) await acked.set(cals[i % 3]!, `/before-kill/${i}`, `b${i}`);
    await acked.set(victim, '/before-kill/0', 'overwritten by the victim');
    await victim.proc.stop('SIGKILL');

    // Writes keep working through the survivors (2 of 3 is a quorum).
    for (let i = 0; i < 5; i++) await acked.set(survivors[i % 2]!, `/after-kill/${i}`, String(i));

    await until('dead CAL removed from /ctl/node', async () => {
      const ids = await withClient(nodes[0]!.proc, (c) => c.getdirAll('/ctl/node'));
      return !ids.includes(victim.id);
    }, DEADLINE.removal, 200);
    const after = await waitForCals([nodes[0]!, ...survivors.filter((n) => n !== nodes[0]), slave], 3, DEADLINE.removal);
    expect(after.map((n) => n.id)).toContain(slave.id);
    expect(await calIds(nodes[0]!.proc)).not.toContain(victim.id);
    const rev = await acked.set(slave, '/after-kill/slave-is-cal', 'yes');
    await acked.verify([...survivors, slave]);
    await sameStore([...survivors, slave], rev);
    // A graceful stop of a CAL: exit 0, and the two left still hold every write.
    const leaving = survivors.find((n) => n !== nodes[0])!;
    await stopGracefully(leaving.proc);
    await acked.verify([nodes[0]!, slave]);
  }, TEST_TIMEOUT.cluster);

  it('SIGSTOP then SIGCONT of a CAL: the others go on, it catches up with every acknowledged write', async () => {
    const { nodes, cals } = await startCluster({ nodes: 3, cals: 3, args: ['-timeout', '30'] });
    const paused = cals[1]!;
    const others = cals.filter((n) => n !== paused);
    const acked = new AckedWrites();
    for (let i = 0; i < 3; i++) await acked.set(paused, `/before-pause/${i}`, `p${i}`);
    paused.proc.child.kill('SIGSTOP');
    try {
      for (let i = 0; i < 20; i++) await acked.set(others[i % 2]!, `/during-pause/${i % 7}`, String(i));
    } finally {
      paused.proc.child.kill('SIGCONT');
    }
    // It catches up (verify waits for it to reach the last rev) and accepts writes again.
    await acked.verify(cals);
    const r2 = await until('paused CAL writable', () => acked.set(paused, '/after-pause', 'ok').catch(() => undefined), DEADLINE.converge);
    await acked.verify(cals);
    await sameStore(cals, r2);
    expect(await calIds(nodes[0]!.proc)).toContain(paused.id);
  }, TEST_TIMEOUT.cluster);

  // Past -hist the others can no longer answer its INVITEs with LEARN: it
  // used to stay stuck at its old rev for good (a CAL that served stale
  // reads and hung writes, or a removed one that never learned it was). It
  // copies the store through its follower instead (slave-watcher.ts).
  // keep = max(-hist, 4 * alpha) = 200 decisions here; 360 writes go by.
  for (const [how, timeout] of [['still a CAL', '60'], ['removed meanwhile', '3']] as const) {
    it(`a CAL paused while the others decide more than they keep catches up by copying the store (${how})`, async () => {
      const { nodes, cals } = await startCluster({ nodes: 3, cals: 3, args: ['-hist', '100', '-timeout', timeout] });
      const paused = cals[2]!;
      const others = cals.filter((n) => n !== paused);
      const acked = new AckedWrites();
      paused.proc.child.kill('SIGSTOP');
      try {
        for (let batch = 0; batch < 18; batch++) {
          await Promise.all(Array.from({ length: 20 }, (_, i) => acked.set(others[i % 2]!, `/far/${i}`, `${batch}-${i}`)));
        }
        if (how === 'removed meanwhile') {
          await until('the paused CAL removed', async () => !(await calIds(nodes[0]!.proc)).includes(paused.id), DEADLINE.removal, 200);
        }
      } finally {
        paused.proc.child.kill('SIGCONT');
      }
      // It jumped to a snapshot: no history before it, so each file's latest write is what is checked there.
      await acked.verify([paused], { history: false });
      const rev = await until('a write through the paused node (a CAL again, or its slot retaken)', () => acked.set(paused, '/far/after', 'ok').catch(() => undefined), DEADLINE.converge);
      await acked.verify(cals);
      await sameStore(cals, rev);
      expect(paused.proc.stderr()).toMatch(/too far behind to catch up by consensus/);
    }, TEST_TIMEOUT.cluster);
  }

  it('a 5-CAL cluster agrees and keeps every acknowledged write, also after losing two CALs', async () => {
    const { cals } = await startCluster({ nodes: 5, cals: 5, args: ['-timeout', '60'], timeoutMs: DEADLINE.converge * 2 });
    const acked = new AckedWrites();
    for (let i = 0; i < 25; i++) await acked.set(cals[i % 5]!, `/five/${i % 9}`, String(i));
    await acked.verify(cals);
    // Two of five die: three are a quorum, writes go on and nothing is lost.
    await Promise.all(cals.slice(3).map((n) => n.proc.stop('SIGKILL')));
    const left = cals.slice(0, 3);
    let rev = 0;
    for (let i = 0; i < 10; i++) rev = await acked.set(left[i % 3]!, `/five/${i % 9}`, `after-${i}`);
    await acked.verify(left);
    await sameStore(left, rev);
  }, TEST_TIMEOUT.bigCluster);
});
