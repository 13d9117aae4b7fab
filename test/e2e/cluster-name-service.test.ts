// The seed's "With a Doozer name service" section, end to end with real
// processes: a name-service cluster built the seed's way (one node, three
// attached, two CAL slots), then four `doozerd -c ls -b "$DOOZER_BOOT_URI"`
// started at once elect their own initial CAL through it. Also -a with -b.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoozer, startDoozerd, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { freePort } from '../helpers/ports.js';
import { addSlots, calIds, sameStore, startCluster, waitForCals, withClient, type ClusterNode } from '../helpers/cluster.js';
import { until } from '../helpers/until.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';

async function node(proc: DoozerdProcess): Promise<ClusterNode> {
  return { proc, id: await withClient(proc, (c) => c.self()) };
}

describe('the seed: with a doozer name service', () => {
  let ns: ClusterNode[];
  let nsCals: ClusterNode[];
  let bootUri: string;
  let ls: ClusterNode[];

  beforeAll(async () => {
    // The name service: created "as shown above".
    ({ nodes: ns, cals: nsCals } = await startCluster({ nodes: 4, cals: 3 }));
    const slave = ns.find((n) => !nsCals.includes(n))!;
    const otherCal = nsCals.find((n) => n !== ns[0])!;
    // The seed's URI: the first node, another one (here: the slave, so the
    // URI lists a slave as the seed's may) and a parameter without a name.
    bootUri = `doozer:?ca=${ns[0]!.proc.addr}&ca=${slave.proc.addr}&${otherCal.proc.addr}`;

    // $ doozerd -c ls -b "$DOOZER_BOOT_URI" -l 127.0.0.1:904x -w :900x   (four at once)
    const ports = await Promise.all([0, 1, 2, 3].map(() => freePort('127.0.0.1')));
    const procs = await Promise.all(ports.map((port) => startDoozerd({ port, args: ['-c', 'ls', '-b', bootUri], readyTimeoutMs: DEADLINE.converge })));
    ls = await Promise.all(procs.map(node));
  }, TEST_TIMEOUT.cluster);

  afterAll(() => stopAll());

  it('exactly one of the four won /ctl/boot/ls in the name service, and it holds /ctl/cal/0 of ls', async () => {
    const boot = await withClient(ns[0]!.proc, (c) => c.get('/ctl/boot/ls'));
    const winner = ls.find((n) => n.id === boot.value.toString());
    expect(winner, `boot file names ${boot.value.toString()}`).toBeDefined();
    for (const n of ls) {
      expect((await withClient(n.proc, (c) => c.get('/ctl/cal/0'))).value.toString(), n.proc.addr).toBe(winner!.id);
    }
    // Only the winner seeded: one CAL in ls, every other node a slave.
    expect(await calIds(winner!.proc)).toEqual([winner!.id]);
  });

  it('all four are in cluster ls: same name, every node registered, the same store', async () => {
    for (const n of ls) expect((await withClient(n.proc, (c) => c.get('/ctl/name'))).value.toString()).toBe('ls');
    await until('every ls node registered in ls', () => withClient(ls[0]!.proc, async (c) => {
      const ids = await c.getdirAll('/ctl/node');
      return ls.every((n) => ids.includes(n.id));
    }), DEADLINE.converge, 100);
    const rev = await withClient(ls[0]!.proc, (c) => c.rev());
    const { dump } = await sameStore(ls, rev);
    for (const n of ls) expect(dump).toContain(`/ctl/node/${n.id}/addr`);
    // None of them joined the name service's own cluster.
    const nsNodes = await withClient(ns[0]!.proc, (c) => c.getdirAll('/ctl/node'));
    for (const n of ls) expect(nsNodes).not.toContain(n.id);
  });

  it('writes to the ls CAL work and reach every ls node; the slaves answer READONLY', async () => {
    const [calId] = await calIds(ls[0]!.proc);
    const cal = ls.find((n) => n.id === calId)!;
    const r = await runDoozer(['-a', cal.proc.uri, 'set', '/hello', '0'], { input: 'ls' });
    expect(r.code, r.stderr).toBe(0);
    const rev = Number(r.stdout.trim());
    for (const n of ls) {
      const g = await withClient(n.proc, (c) => c.get('/hello', rev));
      expect(g.value.toString(), n.proc.addr).toBe('ls');
    }
    for (const n of ls.filter((x) => x !== cal)) {
      const w = await runDoozer(['-a', n.proc.uri, 'set', '/from-slave', '0'], { input: 'x' });
      expect(w.code).toBe(2);
      expect(w.stderr).toMatch(/read-only/);
    }
    // The name service's data is untouched by the ls cluster's writes.
    expect((await withClient(ns[0]!.proc, (c) => c.get('/hello'))).rev).toBe(0);
  });

  it('the name service lists the ls CAL under /ctl/ns/ls/, and a new ls CAL registers there too', async () => {
    const [calId] = await calIds(ls[0]!.proc);
    const cal = ls.find((n) => n.id === calId)!;
    const entries = await withClient(ns[0]!.proc, (c) => c.walkAll('/ctl/ns/ls/*'));
    expect(entries.map((e) => [e.path, e.value.toString()])).toContainEqual([`/ctl/ns/ls/${cal.id}`, cal.proc.addr]);
    // The losers took their entries back: only CALs of ls are listed.
    const lsCals = new Set(await calIds(ls[0]!.proc));
    for (const e of entries) expect(lsCals.has(e.path.split('/')[4]!), e.path).toBe(true);

    // A slot more in ls: the slave that takes it registers itself in the name service.
    await addSlots(cal.proc, [1]);
    const cals = await waitForCals(ls, 2);
    const added = cals.find((n) => n !== cal)!;
    await until('the new ls CAL listed in the name service', () => withClient(ns[0]!.proc, async (c) =>
      (await c.get(`/ctl/ns/ls/${added.id}`)).value.toString() === added.proc.addr), DEADLINE.converge, 100);
  });

  it('a client finds the ls cluster through the name service (cn=ls with -b)', async () => {
    const r = await runDoozer(['-a', 'doozer:?cn=ls', '-b', bootUri, 'get', '/hello']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('ls');
  });

  it('a node booting a cluster whose registered nodes are all dead does not crash: it boots the cluster anew', async () => {
    const first = await node(await startDoozerd({ args: ['-c', 'gone', '-b', bootUri], readyTimeoutMs: DEADLINE.converge }));
    const bootId = (await withClient(ns[0]!.proc, (c) => c.get('/ctl/boot/gone'))).value.toString();
    expect(bootId).toBe(first.id);
    await first.proc.stop('SIGKILL');
    // The boot file and the ns entry still name the dead node.
    const next = await node(await startDoozerd({ args: ['-c', 'gone', '-b', bootUri], readyTimeoutMs: DEADLINE.converge }));
    expect(next.proc.exitStatus(), next.proc.describe()).toBeUndefined();
    expect(await calIds(next.proc)).toEqual([next.id]);
    const rev = await until('the new gone CAL writable', () => withClient(next.proc, (c) => c.set('/x', -1, 'y').catch(() => undefined)), DEADLINE.converge, 100);
    expect(rev).toBeGreaterThan(0);
    expect((await withClient(ns[0]!.proc, (c) => c.get('/ctl/boot/gone'))).value.toString()).toBe(next.id);
    // The dead node's entry is gone from the name service; the new CAL's is there.
    const entries = await withClient(ns[0]!.proc, (c) => c.walkAll('/ctl/ns/gone/*'));
    expect(entries.map((e) => [e.path, e.value.toString()])).toEqual([[`/ctl/ns/gone/${next.id}`, next.proc.addr]]);
  }, TEST_TIMEOUT.cluster);

  it('-a and -b together: -a is tried first, then -b', async () => {
    const [calId] = await calIds(ls[0]!.proc);
    const cal = ls.find((n) => n.id === calId)!;
    const dead = `127.0.0.1:${await freePort('127.0.0.1')}`;

    // -a names an ls CAL, -b a name service that does not answer: -a alone does it.
    const viaA = await node(await startDoozerd({ args: ['-c', 'ls', '-a', cal.proc.addr, '-b', `doozer:?ca=${dead}`] }));
    expect((await withClient(viaA.proc, (c) => c.get('/ctl/name'))).value.toString()).toBe('ls');
    await until('joined through -a', () => withClient(cal.proc, async (c) => (await c.getdirAll('/ctl/node')).includes(viaA.id)), DEADLINE.converge, 100);

    // -a names a node that is not a CAL of ls (the name service's seed): then -b.
    const viaB = await node(await startDoozerd({ args: ['-c', 'ls', '-a', ns[0]!.proc.addr, '-b', bootUri], readyTimeoutMs: DEADLINE.converge }));
    expect((await withClient(viaB.proc, (c) => c.get('/ctl/name'))).value.toString()).toBe('ls');
    await until('joined through -b', () => withClient(cal.proc, async (c) => (await c.getdirAll('/ctl/node')).includes(viaB.id)), DEADLINE.converge, 100);
    // Neither wrote itself into the name service's cluster.
    const nsNodes = await withClient(ns[0]!.proc, (c) => c.getdirAll('/ctl/node'));
    expect(nsNodes).not.toContain(viaA.id);
    expect(nsNodes).not.toContain(viaB.id);
  });
});
