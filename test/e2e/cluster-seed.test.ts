// The seed document's cluster, end to end with real processes and the real
// CLI: one node, three attached, two CAL slots added with `doozer set`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type WaitEvent } from '../../src/client/client.js';
import { runDoozer, stopAll } from '../helpers/doozerd-process.js';
import { addSlots, calIds, startNodes, waitForCals, withClient, type ClusterNode } from '../helpers/cluster.js';
import { until } from '../helpers/until.js';
import { TEST_TIMEOUT } from '../helpers/deadlines.js';

describe('the seed: start one, attach three, add two CAL slots', () => {
  let nodes: ClusterNode[];
  let cals: ClusterNode[];
  let watcher: Client;
  const seen: WaitEvent[] = [];
  let watchFrom = 0;

  beforeAll(async () => {
    nodes = await startNodes(3);
    watcher = await Client.dial(nodes[0]!.proc.addr);
    watchFrom = (await watcher.rev()) + 1;
    void (async () => {
      for await (const ev of watcher.watch('/**', watchFrom)) seen.push(ev);
    })().catch(() => undefined);
    await addSlots(nodes[0]!.proc, [1, 2]);
    cals = await waitForCals(nodes, 3);
  }, TEST_TIMEOUT.cluster);

  afterAll(async () => {
    await watcher?.close();
    await stopAll();
  });

  it('the first node holds /ctl/cal/0; two slaves locked the new slots', async () => {
    const slot0 = await withClient(nodes[0]!.proc, (c) => c.get('/ctl/cal/0'));
    expect(slot0.value.toString()).toBe(nodes[0]!.id);
    expect(new Set(await calIds(nodes[0]!.proc)).size).toBe(3);
    expect(cals.map((c) => c.id)).toContain(nodes[0]!.id);
  });

  it('the remaining slave answers READONLY (doozer exits 2 and says so)', async () => {
    const slave = nodes.find((n) => !cals.includes(n))!;
    const r = await runDoozer(['-a', `doozer:?ca=${slave.proc.addr}`, 'set', '/from-slave', '0'], { input: 'x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/read-only/);
  });

  it('writes to every CAL are read back from every node', async () => {
    const written: [string, string, number][] = [];
    for (const cal of cals) {
      const path = `/seed/${cal.id}`;
      const r = await runDoozer(['-a', `doozer:?ca=${cal.proc.addr}`, 'set', path, '0'], { input: `from ${cal.id}` });
      expect(r.code, r.stderr).toBe(0);
      written.push([path, `from ${cal.id}`, Number(r.stdout.trim())]);
    }
    for (const n of nodes) {
      for (const [path, body, rev] of written) {
        // A read at the write's rev waits until this node has applied it.
        const g = await withClient(n.proc, (c) => c.get(path, rev));
        expect(g.value.toString(), `${path} on ${n.proc.addr}`).toBe(body);
      }
    }
  });

  it('every node has the same store at the same rev', async () => {
    const rev = await withClient(cals[0]!.proc, (c) => c.rev());
    const dumps = await Promise.all(
      nodes.map((n) => withClient(n.proc, async (c) => {
        await c.get('/ctl/name', rev); // wait for rev
        return (await c.walkAll('/**', rev)).map((e) => `${e.path}@${e.rev}=${e.value.toString('hex')}`).join('\n');
      })),
    );
    for (const d of dumps) expect(d).toBe(dumps[0]);
  });

  it('a watcher of /** saw every change once, in order', async () => {
    const target = await withClient(nodes[0]!.proc, (c) => c.rev());
    await until('watcher caught up', () => seen.length > 0 && seen[seen.length - 1]!.rev >= target);
    const revs = seen.map((e) => e.rev);
    expect(revs[0]).toBe(watchFrom);
    revs.forEach((r, i) => expect(r).toBe(watchFrom + i));
    const paths = seen.map((e) => e.path);
    for (const cal of cals) expect(paths.filter((p) => p === `/seed/${cal.id}`)).toHaveLength(1);
  });
});
