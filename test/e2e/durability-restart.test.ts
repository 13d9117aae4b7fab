// -data on real processes: a node killed with -9 comes back with every
// acknowledged write and its rev, as the same node; a whole 3-CAL cluster
// killed with -9 at once under write load comes back the same on every node.
import { afterEach, describe, expect, it } from 'vitest';
import { startDoozerd, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { sameStore, waitForCals, withClient, type ClusterNode } from '../helpers/cluster.js';
import { until } from '../helpers/until.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';
import { dataDir, missingWrites, startDurableCluster, startWriteLoad, stopAllAndRemoveDataDirs } from '../helpers/durable.js';

/** Restart a node on the same address and -data (waits for its client port). */
function restart(p: DoozerdProcess, dir: string, extra: string[] = []): Promise<DoozerdProcess> {
  return startDoozerd({ port: p.port, args: ['-data', dir, ...extra], readyTimeoutMs: DEADLINE.start });
}

/** Node 2 of `nodes`, restarted as `back`, takes a write as a CAL, and the three agree on the store. */
async function isCalAgain(nodes: ClusterNode[], back: DoozerdProcess): Promise<void> {
  const cluster: ClusterNode[] = [nodes[0]!, nodes[1]!, { proc: back, id: nodes[2]!.id }];
  const rev = await until('a write through the restarted CAL', () => withClient(back, (c) => c.set('/after', -1, 'x')).catch(() => undefined), DEADLINE.converge);
  await sameStore(cluster, rev, DEADLINE.converge);
}

describe('durability: restart from -data', () => {
  afterEach(stopAllAndRemoveDataDirs);

  it('one node killed with -9 under load comes back as itself with every acked write and rev', async () => {
    const dir = dataDir();
    // Small snapshots: the restart reads a snapshot and the log after it.
    const node = await startDoozerd({ args: ['-data', dir, '-snapshot', '40'] });
    const id = await withClient(node, (c) => c.self());
    const load = startWriteLoad([node], 4, 'one');
    await until('100 acked writes', () => load.acked.size >= 100, DEADLINE.converge);
    await node.stop('SIGKILL');
    await load.stop();

    const again = await restart(node, dir, ['-snapshot', '40']);
    expect(await withClient(again, (c) => c.self())).toBe(id);
    expect(again.stdout() + again.stderr()).toMatch(/data in .*; member of cluster "local", restarted from disk at rev \d+/);
    expect(await missingWrites(again, load.acked)).toEqual([]);
    // It is a writable CAL again, and revs go on after the old ones.
    const maxRev = Math.max(...[...load.acked.values()].map((a) => a.rev));
    const rev = await until('writable after restart', () => withClient(again, (c) => c.set('/after', -1, 'x')).catch(() => undefined), DEADLINE.converge);
    expect(rev).toBeGreaterThan(maxRev);

    // A second process on the same directory fails at once, saying why.
    const second = await startDoozerd({ args: ['-data', dir], waitReady: false });
    const st = await second.exited;
    expect(st.code).toBe(1);
    expect(second.stderr()).toMatch(/in use by another doozerd \(pid \d+, lock file .*doozerd\.lock\)/);
  }, TEST_TIMEOUT.cluster);

  it('a 3-CAL cluster killed with -9 at once under load comes back with every acked write on every node', async () => {
    const cluster = await startDurableCluster();
    const { dirs, nodes } = cluster;
    let procs = cluster.procs;

    const load = startWriteLoad(procs, 6, 'all');
    await until('150 acked writes', () => load.acked.size >= 150, DEADLINE.converge);
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await load.stop();
    expect(load.acked.size).toBeGreaterThanOrEqual(150);

    procs = await Promise.all(procs.map((p, i) => restart(p, dirs[i]!)));
    const back: ClusterNode[] = await Promise.all(procs.map(async (proc) => ({ proc, id: await withClient(proc, (c) => c.self()) })));
    expect(back.map((n) => n.id)).toEqual(nodes.map((n) => n.id));
    // Writable again (a quorum of CALs is back), then every node has every acked write.
    try {
      const rev = await until('a write after the restart', () => withClient(procs[1]!, (c) => c.set('/after', -1, 'x')).catch(() => undefined), DEADLINE.converge);
      await sameStore(back, rev, DEADLINE.converge);
    } catch (e) {
      const revs = await Promise.all(procs.map((p) => withClient(p, (c) => c.rev()).catch((x: Error) => x.message)));
      throw new Error(`${(e as Error).message}; revs ${revs.join(', ')}\n${procs.map((p) => p.describe()).join('\n')}`);
    }
    for (const p of procs) expect(await missingWrites(p, load.acked)).toEqual([]);
  }, TEST_TIMEOUT.bigCluster);

  it('a CAL restarted after the others moved on far catches up from a copy before serving, and is a CAL again', async () => {
    // -hist 20: the others keep too little history for the restarted node to catch up value by value.
    const { dirs, procs, nodes } = await startDurableCluster(['-hist', '20']);
    const victim = procs[2]!;
    await victim.stop('SIGKILL');
    const load = startWriteLoad([procs[0]!, procs[1]!], 4, 'away');
    await until('400 acked writes while it is away', () => load.acked.size >= 400, DEADLINE.converge);
    await load.stop();
    const back = await restart(victim, dirs[2]!, ['-hist', '20']);
    // Right when it serves, it has what was acked before it came back.
    expect(await missingWrites(back, load.acked)).toEqual([]);
    await isCalAgain(nodes, back);
  }, TEST_TIMEOUT.bigCluster);

  // The live version of the case above (slave-watcher.ts): paused rather than
  // stopped, it copies a snapshot while running; that snapshot must be on
  // its disk, so a kill -9 right after and a restart lose nothing.
  it('a CAL paused past the others\' history copies a snapshot while running, and comes back from -data with it after kill -9', async () => {
    const { dirs, procs, nodes } = await startDurableCluster(['-hist', '20']);
    const paused = procs[2]!;
    paused.child.kill('SIGSTOP');
    let load: ReturnType<typeof startWriteLoad>;
    try {
      load = startWriteLoad([procs[0]!, procs[1]!], 4, 'paused');
      await until('400 acked writes while it is paused', () => load.acked.size >= 400, DEADLINE.converge);
      await load.stop();
    } finally {
      paused.child.kill('SIGCONT');
    }
    await until('the paused CAL caught up', async () => (await missingWrites(paused, load.acked)).length === 0, DEADLINE.converge, 200);
    expect(paused.stderr()).toMatch(/too far behind to catch up by consensus/);
    await paused.stop('SIGKILL');
    const back = await restart(paused, dirs[2]!, ['-hist', '20']);
    expect(await missingWrites(back, load.acked)).toEqual([]);
    await isCalAgain(nodes, back);
  }, TEST_TIMEOUT.bigCluster);

  it('a CAL the cluster dropped while it was away (-timeout) registers again on restart and takes a CAL slot again', async () => {
    const { dirs, procs, nodes } = await startDurableCluster(['-timeout', '2']);
    const seed = procs[0]!;
    const victim = nodes[2]!;
    await victim.proc.stop('SIGKILL');
    await until('the dead CAL dropped from /ctl/node', async () => !(await withClient(seed, (c) => c.getdirAll('/ctl/node'))).includes(victim.id), DEADLINE.removal, 200);
    const rev0 = await withClient(seed, (c) => c.set('/while-away', -1, 'x'));

    const back = await restart(victim.proc, dirs[2]!, ['-timeout', '2']);
    expect(await withClient(back, (c) => c.self())).toBe(victim.id);
    const cluster: ClusterNode[] = [nodes[0]!, nodes[1]!, { proc: back, id: victim.id }];
    expect(await withClient(seed, (c) => c.getdirAll('/ctl/node'))).toContain(victim.id);
    await waitForCals(cluster, 3, DEADLINE.converge);
    const rev = await withClient(back, (c) => c.set('/after', -1, 'x'));
    expect(rev).toBeGreaterThan(rev0);
    await sameStore(cluster, rev, DEADLINE.converge);
  }, TEST_TIMEOUT.cluster);
});
