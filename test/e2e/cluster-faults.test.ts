// Cluster faults with real processes: a CAL killed with SIGKILL, a CAL paused
// with SIGSTOP, and a 5-CAL cluster.
import { afterEach, describe, expect, it } from 'vitest';
import { stopAll } from '../helpers/doozerd-process.js';
import { addSlots, calIds, sameStore, startNodes, waitForCals, withClient, writeVia } from '../helpers/cluster.js';
import { until } from '../helpers/until.js';

describe('cluster faults', () => {
  afterEach(() => stopAll());

  it('kill -9 of a CAL: writes go on, it leaves /ctl/node, the slave takes its slot', async () => {
    const nodes = await startNodes(3, ['-timeout', '2']);
    await addSlots(nodes[0]!.proc, [1, 2]);
    const cals = await waitForCals(nodes, 3);
    const slave = nodes.find((n) => !cals.includes(n))!;
    const victim = cals.find((n) => n !== nodes[0])!;
    const survivors = cals.filter((n) => n !== victim);
    await victim.proc.stop('SIGKILL');

    // Writes keep working through the survivors (2 of 3 is a quorum).
    for (let i = 0; i < 5; i++) await writeVia(survivors[i % 2]!, `/after-kill/${i}`, String(i));

    await until('dead CAL removed from /ctl/node', async () => {
      const ids = await withClient(nodes[0]!.proc, (c) => c.getdirAll('/ctl/node'));
      return !ids.includes(victim.id);
    }, 20_000, 200);
    const after = await waitForCals([nodes[0]!, ...survivors.filter((n) => n !== nodes[0]), slave], 3, 20_000);
    expect(after.map((n) => n.id)).toContain(slave.id);
    expect(await calIds(nodes[0]!.proc)).not.toContain(victim.id);
    const rev = await writeVia(slave, '/after-kill/slave-is-cal', 'yes');
    await sameStore([...survivors, slave], rev);
  }, 60_000);

  it('SIGSTOP then SIGCONT of a CAL: the others go on, it catches up', async () => {
    const nodes = await startNodes(2, ['-timeout', '30']);
    await addSlots(nodes[0]!.proc, [1, 2]);
    const cals = await waitForCals(nodes, 3);
    const paused = cals[1]!;
    const others = cals.filter((n) => n !== paused);
    paused.proc.child.kill('SIGSTOP');
    let rev = 0;
    try {
      for (let i = 0; i < 20; i++) rev = await writeVia(others[i % 2]!, `/during-pause/${i}`, String(i));
    } finally {
      paused.proc.child.kill('SIGCONT');
    }
    // It catches up and accepts writes again.
    await until('paused CAL caught up', () => withClient(paused.proc, async (c) => (await c.rev()) >= rev));
    const r2 = await until('paused CAL writable', () => writeVia(paused, '/after-pause', 'ok').catch(() => undefined), 15_000);
    await sameStore(cals, r2);
    expect(await calIds(nodes[0]!.proc)).toContain(paused.id);
  }, 60_000);

  it('a 5-CAL cluster agrees', async () => {
    const nodes = await startNodes(4);
    await addSlots(nodes[0]!.proc, [1, 2, 3, 4]);
    const cals = await waitForCals(nodes, 5, 40_000);
    let rev = 0;
    for (let i = 0; i < 25; i++) rev = await writeVia(cals[i % 5]!, `/five/${i}`, String(i));
    await sameStore(cals, rev);
  }, 90_000);
});
