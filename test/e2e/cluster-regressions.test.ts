// Regression tests for the original doozerd's known failures (spec/cluster.md,
// "Known failures of the original"; issue 4 item 7), one test per failure,
// each named after the symptom, with real processes on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import { DoozerError } from '../../src/wire/errors.js';
import { runDoozer, startDoozerd, stopAll } from '../helpers/doozerd-process.js';
import { addSlots, calIds, sameStore, startCluster, startNodes, waitForCals, withClient, writeVia, type ClusterNode } from '../helpers/cluster.js';
import { AckedWrites } from '../helpers/acked-writes.js';
import { DEADLINE, TEST_TIMEOUT, WINDOW } from '../helpers/deadlines.js';
import { until } from '../helpers/until.js';

/** `p`'s outcome if it settles within `ms`, else 'pending' (p keeps running). */
async function within<T>(p: Promise<T>, ms: number): Promise<{ ok: T } | { err: unknown } | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'pending'>((r) => (timer = setTimeout(() => r('pending'), ms)));
  try {
    return await Promise.race([p.then((ok) => ({ ok }), (err: unknown) => ({ err })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Rejects unless `p` settles within `ms`. */
async function answers<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  const r = await within(p, ms);
  if (r === 'pending') throw new Error(`${what}: no answer within ${ms} ms`);
  if ('err' in r) throw r.err;
  return r.ok;
}

const code = (e: unknown): string | undefined => (e instanceof DoozerError ? e.code : undefined);

/** Until node `n` has applied `rev`, then its body of `path`. */
async function readAt(n: ClusterNode, path: string, rev: number, timeoutMs: number = DEADLINE.converge): Promise<string> {
  return until(`${n.proc.addr} applied rev ${rev}`, () => withClient(n.proc, async (c) => {
    if ((await c.rev()) < rev) return undefined;
    return (await c.get(path)).value.toString();
  }), timeoutMs, 50);
}

describe('regressions of the original doozerd', () => {
  afterEach(() => stopAll());

  it('a CAL kicked after more than -timeout of silence does not hang: it says so and goes on as a slave', async () => {
    const { nodes, cals } = await startCluster({ nodes: 4, cals: 3, args: ['-timeout', '2'] });
    const victim = cals.find((n) => n !== nodes[0])!;
    const healthy = nodes.filter((n) => n !== victim);
    const acked = new AckedWrites();
    for (let i = 0; i < 3; i++) await acked.set(cals[i]!, `/before-kick/${i}`, `k${i}`);
    victim.proc.child.kill('SIGSTOP'); // total packet loss, as far as the others can tell
    let healthyCals: ClusterNode[];
    try {
      // The others remove it after -timeout; the spare slave takes its slot.
      healthyCals = await waitForCals(healthy, 3, DEADLINE.removal);
    } finally {
      victim.proc.child.kill('SIGCONT');
    }
    expect(healthyCals.map((n) => n.id)).not.toContain(victim.id);

    // It notices it is no longer a CAL and says so in its log...
    await until('the kicked node says it is no longer a CAL', () =>
      /removed from the CALs|no longer a CAL/.test(victim.proc.stderr()), DEADLINE.converge, 100);
    // ... refuses writes with READONLY (every write is answered: none waits
    // forever for an instance the node will never lead), and answers reads.
    const hung: string[] = [];
    const err = await until('the kicked node refuses writes', () => withClient(victim.proc, async (c) => {
      const r = await within(c.set('/from-kicked', -1, 'x'), DEADLINE.answer);
      if (r === 'pending') hung.push(`a write on the kicked node got no answer within ${DEADLINE.answer} ms`);
      return r !== 'pending' && 'err' in r ? r.err : undefined;
    }), DEADLINE.converge, 200);
    expect(hung).toEqual([]);
    expect(code(err), String(err)).toBe('READONLY');
    // It keeps following: writes made through the CALs reach it.
    for (let i = 0; i < 3; i++) {
      const cal = healthyCals[i % healthyCals.length]!;
      const rev = await acked.set(cal, `/after-kick/${i}`, `v${i}`);
      expect(await readAt(victim, `/after-kick/${i}`, rev)).toBe(`v${i}`);
    }
    // Every acknowledged write, before and after the kick, is on every node, the kicked one too.
    await acked.verify(nodes);
    // It registered its node files again (a slave of the cluster), and it evicted no one.
    await until('kicked node re-registered', () => withClient(nodes[0]!.proc, async (c) =>
      (await c.get(`/ctl/node/${victim.id}/addr`)).value.toString() === victim.proc.addr), DEADLINE.converge, 100);
    expect(new Set(await calIds(nodes[0]!.proc))).toEqual(new Set(healthyCals.map((n) => n.id)));
    expect(victim.proc.exitStatus(), victim.proc.describe()).toBeUndefined();
  }, TEST_TIMEOUT.cluster);

  it('restarting a node on the same address does not evict a healthy one', async () => {
    const { nodes, cals } = await startCluster({ nodes: 4, cals: 3, args: ['-timeout', '2'] });
    const seed = nodes[0]!;
    const slave = nodes.find((n) => !cals.includes(n))!;
    const acked = new AckedWrites();
    for (let i = 0; i < 6; i++) await acked.set(cals[i % 3]!, `/before-restarts/${i}`, `r${i}`);

    // 1. A slave dies and a new node starts on its address.
    await slave.proc.stop('SIGKILL');
    const slave2proc = await startDoozerd({ port: slave.proc.port, args: ['-a', seed.proc.addr, '-timeout', '2'] });
    const slave2: ClusterNode = { proc: slave2proc, id: await withClient(slave2proc, (c) => c.self()) };
    await until('the dead slave\'s files are gone', () => withClient(seed.proc, async (c) =>
      !(await c.getdirAll('/ctl/node')).includes(slave.id)), DEADLINE.removal, 100);

    // 2. A CAL dies and a new node starts on its address.
    const victim = cals.find((n) => n !== seed)!;
    const healthy = cals.filter((n) => n !== victim);
    await victim.proc.stop('SIGKILL');
    const v2proc = await startDoozerd({ port: victim.proc.port, args: ['-a', seed.proc.addr, '-timeout', '2'] });
    const v2: ClusterNode = { proc: v2proc, id: await withClient(v2proc, (c) => c.self()) };
    await until('the dead CAL\'s files and slot are gone', () => withClient(seed.proc, async (c) =>
      !(await c.getdirAll('/ctl/node')).includes(victim.id) && !(await calIds(seed.proc)).includes(victim.id)), DEADLINE.removal, 100);

    // One of the new nodes takes the free slot; the healthy CALs keep theirs,
    // also after several -timeout periods of normal work.
    const live = [...healthy, slave2, v2];
    const after = await waitForCals(live, 3, DEADLINE.removal);
    for (const h of healthy) expect(after.map((n) => n.id)).toContain(h.id);
    const busyUntil = Date.now() + WINDOW.busy;
    let rev = 0;
    for (let i = 0; Date.now() < busyUntil; i++) rev = await acked.set(after[i % 3]!, `/busy/${i % 10}`, String(i));
    const ids = await calIds(seed.proc);
    expect(new Set(ids)).toEqual(new Set(after.map((n) => n.id)));
    const nodeDirs = await withClient(seed.proc, (c) => c.getdirAll('/ctl/node'));
    for (const n of live) expect(nodeDirs).toContain(n.id);
    expect(nodeDirs).not.toContain(slave.id);
    expect(nodeDirs).not.toContain(victim.id);
    for (const n of live) {
      expect((await withClient(seed.proc, (c) => c.get(`/ctl/node/${n.id}/addr`))).value.toString()).toBe(n.proc.addr);
    }
    await acked.verify(live);
    await sameStore(live, rev);
  }, TEST_TIMEOUT.cluster);

  it('the survivor of quorum loss keeps answering reads and REV', async () => {
    const { cals } = await startCluster({ nodes: 3, cals: 3, args: ['-timeout', '2'] });
    const survivor = cals[0]!;
    const acked = new AckedWrites();
    for (let i = 0; i < 3; i++) await acked.set(cals[i]!, `/before-loss/${i}`, `q${i}`);
    const rev = await acked.set(survivor, '/before', 'quorum');
    await Promise.all(cals.slice(1).map((n) => n.proc.stop('SIGKILL')));

    const c = await Client.dial(survivor.proc.addr);
    try {
      // A write cannot reach a quorum: it may hang or fail, never wedge the node.
      const write = c.set('/during-loss', -1, 'x');
      write.catch(() => undefined);
      const w = await within(write, WINDOW.pending);
      if (w !== 'pending') expect('err' in w, 'a write without a quorum must not succeed').toBe(true);
      // Everything that needs no consensus still answers, on this connection and on new ones,
      // also after several -timeout periods (the survivor tries to remove the dead CALs).
      const deadline = Date.now() + WINDOW.busy;
      do {
        expect(await answers(c.rev(), DEADLINE.answer, 'REV')).toBeGreaterThanOrEqual(rev);
        expect((await answers(c.get('/before'), DEADLINE.answer, 'GET')).value.toString()).toBe('quorum');
        const other = await answers(Client.dial(survivor.proc.addr), DEADLINE.answer, 'connect');
        try {
          expect(await answers(other.rev(), DEADLINE.answer, 'REV (new connection)')).toBeGreaterThanOrEqual(rev);
          expect(await answers(other.getdirAll('/ctl/node'), DEADLINE.answer, 'GETDIR')).toContain(survivor.id);
          expect((await answers(other.stat('/before'), DEADLINE.answer, 'STAT')).rev).toBe(rev);
          expect(await answers(other.self(), DEADLINE.answer, 'SELF')).toBe(survivor.id);
        } finally {
          await other.close();
        }
      } while (Date.now() < deadline);
      // Every write acknowledged before the loss is still there.
      await acked.verify([survivor]);
      const r = await runDoozer(['-a', survivor.proc.uri, 'get', '/before'], { timeoutMs: DEADLINE.answer });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('quorum');
      expect(survivor.proc.exitStatus(), survivor.proc.describe()).toBeUndefined();
    } finally {
      await c.close();
    }
  }, TEST_TIMEOUT.cluster);

  it('the cluster recovers when a quorum is back: writes made during the loss complete', async () => {
    // A killed node cannot come back with its id, so "back" means resumed:
    // two of three CALs are paused (SIGSTOP), then resumed (SIGCONT), with a
    // -timeout long enough that the survivor does not try to remove them.
    const { cals } = await startCluster({ nodes: 3, cals: 3, args: ['-timeout', '60'] });
    const survivor = cals[0]!;
    const paused = cals.slice(1);
    const acked = new AckedWrites();
    for (let i = 0; i < 3; i++) await acked.set(cals[i]!, `/before-loss/${i}`, `b${i}`);
    const c = await Client.dial(survivor.proc.addr);
    try {
      for (const p of paused) p.proc.child.kill('SIGSTOP');
      let writes: Promise<number>[];
      const before = await answers(c.rev(), DEADLINE.answer, 'REV before the loss');
      try {
        writes = [0, 1, 2].map((i) => c.set(`/during-loss/${i}`, -1, `loss-${i}`));
        writes.forEach((w) => w.catch(() => undefined));
        expect(await within(writes[0]!, WINDOW.pending), 'no quorum: the write waits').toBe('pending');
        expect(await answers(c.rev(), DEADLINE.answer, 'REV during the loss')).toBeGreaterThanOrEqual(before);
        expect((await answers(c.get('/ctl/name'), DEADLINE.answer, 'GET during the loss')).value.toString()).toBe('local');
        expect(await within(c.get('/during-loss/0'), DEADLINE.answer), 'not there yet').toMatchObject({ ok: { rev: 0 } });
      } finally {
        for (const p of paused) p.proc.child.kill('SIGCONT');
      }
      // The three writes complete, each at its own rev, and hold their values on every CAL.
      const revs = await answers(Promise.all(writes), DEADLINE.converge, 'writes after the quorum came back');
      expect(new Set(revs).size).toBe(3);
      revs.forEach((r, i) => {
        expect(r).toBeGreaterThan(before);
        acked.record(`/during-loss/${i}`, `loss-${i}`, r);
      });
      // Every CAL takes writes again, keeps every acknowledged write, and all agree.
      let rev = 0;
      for (const n of cals) rev = await until(`${n.proc.addr} writable again`, () =>
        acked.set(n, `/after-loss/${n.id}`, 'ok').catch(() => undefined), DEADLINE.converge, 200);
      await acked.verify(cals);
      await sameStore(cals, rev);
      expect(new Set(await calIds(survivor.proc))).toEqual(new Set(cals.map((n) => n.id)));
    } finally {
      await c.close();
    }
  }, TEST_TIMEOUT.cluster);

  it('a node attaching while history is being dropped does not crash with TOO_LATE', async () => {
    const args = ['-hist', '5'];
    const { nodes, cals } = await startCluster({ nodes: 2, cals: 2, args });
    // Heavy write load on both CALs: history (5 revs) moves on every few ms.
    let stop = false;
    let written = 0;
    const acked = new AckedWrites();
    const loaders = Array.from({ length: 8 }, async (_, k) => {
      const c = await Client.dial(cals[k % cals.length]!.proc.addr);
      try {
        for (let round = 0; !stop; round++) {
          await Promise.all(Array.from({ length: 8 }, async (_, j) => {
            const value = `${k}.${j}.${round}`;
            acked.record(`/load/${k}/${j}`, value, await c.set(`/load/${k}/${j}`, -1, value));
          }));
          written += 8;
        }
      } finally {
        await c.close();
      }
    });
    let joined: ClusterNode[];
    let attachFrom: number;
    let attachedAt: number;
    try {
      await until('load running', () => written > 200, DEADLINE.converge);
      attachFrom = await withClient(cals[0]!.proc, (c) => c.rev());
      // Two nodes attach meanwhile; each copies a snapshot that falls out of history.
      const procs = await Promise.all([0, 1].map(() => startDoozerd({ args: ['-a', nodes[0]!.proc.addr, ...args], readyTimeoutMs: DEADLINE.converge })));
      joined = await Promise.all(procs.map(async (proc) => ({ proc, id: await withClient(proc, (c) => c.self()) })));
      attachedAt = await withClient(cals[0]!.proc, (c) => c.rev());
      // They keep following under load.
      const target = written + 200;
      await until('more load after the attach', () => written > target, DEADLINE.converge);
    } finally {
      stop = true;
      await Promise.all(loaders);
    }
    // History really was overrun while they attached: the rev moved far past
    // -hist, and the rev the attach started from answers TOO_LATE.
    expect(attachedAt - attachFrom).toBeGreaterThan(5 * 4);
    const tooLate = await withClient(cals[0]!.proc, (c) => c.get('/ctl/name', attachFrom).then(() => undefined, (e: unknown) => e));
    expect(code(tooLate), String(tooLate)).toBe('TOO_LATE');
    expect(written).toBeGreaterThan(400);
    for (const j of joined) expect(j.proc.exitStatus(), j.proc.describe()).toBeUndefined();
    const rev = await withClient(cals[0]!.proc, (c) => c.rev());
    // Every acknowledged write is on every node, the two that attached under load too
    // (only the latest of each file: -hist 5 keeps no older revs to read them at).
    await acked.verify([...cals, ...joined], { history: false });
    await sameStore([...cals, ...joined], rev);
  }, TEST_TIMEOUT.cluster);

  it('setting /ctl/cal/N for more slots than nodes does not stop writes', async () => {
    const [seed] = await startNodes(0);
    // A lone node with three empty slots more.
    await addSlots(seed!.proc, [1, 2, 3]);
    let rev = 0;
    // More than alpha (50) writes, so instances run under the new slot list.
    const acked = new AckedWrites();
    for (let i = 0; i < 60; i++) rev = await answers(acked.set(seed!, `/alone/${i}`, String(i)), DEADLINE.answer, `write ${i} on the lone node`);
    // One slave attaches and takes one of the slots; the two others stay empty.
    const proc = await startDoozerd({ args: ['-a', seed!.proc.addr] });
    const slave: ClusterNode = { proc, id: await withClient(proc, (c) => c.self()) };
    const cals = await waitForCals([seed!, slave], 2);
    const slots = await withClient(seed!.proc, (c) => c.walkAll('/ctl/cal/*'));
    expect(slots).toHaveLength(4);
    expect(slots.filter((s) => s.value.length === 0)).toHaveLength(2);
    for (let i = 0; i < 60; i++) rev = await answers(acked.set(cals[i % 2]!, `/pair/${i}`, String(i)), DEADLINE.answer, `write ${i} on the pair`);
    await acked.verify(cals);
    await sameStore(cals, rev);
  }, TEST_TIMEOUT.cluster);

  it('a slave whose CAL dies follows another CAL', async () => {
    // Every attached node follows the seed (the only CAL when they attach).
    const nodes = await startNodes(4, ['-timeout', '2']);
    const seed = nodes[0]!;
    await addSlots(seed.proc, [1, 2]);
    const cals = await waitForCals(nodes, 3);
    const slaves = nodes.filter((n) => !cals.includes(n));
    const others = cals.filter((n) => n !== seed);
    expect(slaves).toHaveLength(2);
    const acked = new AckedWrites();
    for (let k = 0; k < 3; k++) await acked.set(seed, `/before-seed-death/${k}`, `s${k}`);
    await seed.proc.stop('SIGKILL');

    // Right away (before the seed is removed) and after its removal (one
    // slave takes its slot, the other stays a slave), the slaves get every write.
    let i = 0;
    const writeAndSee = async (): Promise<void> => {
      const rev = await answers(acked.set(others[i % 2]!, `/after-seed-death/${i}`, String(i)), DEADLINE.converge, `write ${i}`);
      for (const s of slaves) expect(await readAt(s, `/after-seed-death/${i}`, rev)).toBe(String(i));
      i++;
    };
    for (let k = 0; k < 3; k++) await writeAndSee();
    await until('the dead seed removed', async () => !(await calIds(others[0]!.proc)).includes(seed.id), DEADLINE.removal, 100);
    await waitForCals([...others, ...slaves], 3, DEADLINE.removal);
    for (let k = 0; k < 3; k++) await writeAndSee();
    for (const s of slaves) expect(s.proc.exitStatus(), s.proc.describe()).toBeUndefined();
    await acked.verify([...others, ...slaves]);
  }, TEST_TIMEOUT.cluster);

  it('a write over 1 MiB gets a clear error at once, alone and in a cluster; one over a datagram is stored', async () => {
    // Among our nodes a value over one consensus datagram takes the large-value path (test/e2e/large-values.test.ts); 1 MiB is the limit.
    const big = Buffer.alloc(1024 * 1024 + 1, 'x');
    const fits = Buffer.alloc(3100, 'y');
    const check = async (n: ClusterNode, everyone: ClusterNode[]): Promise<void> => {
      const r = await within(writeVia(n, '/big', big), DEADLINE.answer);
      expect(r, 'answered at once').not.toBe('pending');
      const err = (r as { err: unknown }).err;
      expect(err).toBeInstanceOf(DoozerError);
      expect(String(err)).toMatch(/too large/);
      // The CLI says so too (exit 2).
      const cli = await runDoozer(['-a', n.proc.uri, 'set', '/big', '0'], { input: big, timeoutMs: DEADLINE.answer });
      expect(cli.code).toBe(2);
      expect(cli.stderr).toMatch(/too large/);
      // Nothing is wedged: a body that fits is written and replicated.
      const rev = await answers(writeVia(n, '/fits', fits), DEADLINE.answer, 'a write that fits');
      for (const m of everyone) expect(await readAt(m, '/fits', rev)).toBe(fits.toString());
      const rev2 = await answers(writeVia(n, '/small', 'ok'), DEADLINE.answer, 'a small write after');
      for (const m of everyone) expect(await readAt(m, '/small', rev2)).toBe('ok');
    };
    const [seed] = await startNodes(0);
    // A single node first...
    await check(seed!, [seed!]);
    // ... then, with two nodes attached, a cluster of three CALs.
    const procs = await Promise.all([0, 1].map(() => startDoozerd({ args: ['-a', seed!.proc.addr] })));
    const nodes = [seed!, ...(await Promise.all(procs.map(async (proc) => ({ proc, id: await withClient(proc, (c) => c.self()) }))))];
    await addSlots(seed!.proc, [1, 2]);
    const cals = await waitForCals(nodes, 3);
    for (const n of cals) await check(n, cals);
  }, TEST_TIMEOUT.cluster);
});
