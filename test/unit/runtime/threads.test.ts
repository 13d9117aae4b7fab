// The actor system across worker threads. Worker threads run the compiled
// files in dist/ (npm test builds first: `pretest`); the test kinds come from
// fixtures/kinds.mjs, plain JavaScript that both sides load.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startActorSystem, type ThreadedSystem, type ActorSystemOptions } from '../../../src/runtime/threaded-system.js';
import type { Placement } from '../../../src/runtime/placement.js';
import type { Message } from '../../../src/runtime/message.js';
// @ts-expect-error plain JavaScript fixture without types
import { actorKinds as fixtureKinds } from './fixtures/kinds.mjs';
import { DEADLINE } from '../../helpers/deadlines.js';
import { until as waitFor } from '../../helpers/until.js';

const FIXTURES = pathToFileURL(join(import.meta.dirname, 'fixtures/kinds.mjs')).href;
const systems: ThreadedSystem[] = [];

afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.stopAll()));
});

interface Started {
  sys: ThreadedSystem;
  got: (Message & Record<string, any>)[];
  fatal: string[];
  until(cond: () => boolean, what: string, ms?: number): Promise<void>;
}

async function start(placement: Placement, extra: Partial<ActorSystemOptions> = {}): Promise<Started> {
  const fatal: string[] = [];
  const sys = await startActorSystem({
    placement,
    kinds: fixtureKinds,
    onFatal: (r) => fatal.push(r),
    debugHooks: true,
    kindModules: [FIXTURES],
    ...extra,
  });
  systems.push(sys);
  const got: (Message & Record<string, any>)[] = [];
  sys.registerEndpoint('test', (m) => got.push(m as Message & Record<string, any>));
  const until = async (cond: () => boolean, what: string, ms: number = DEADLINE.answer): Promise<void> => {
    await waitFor(what, () => cond() || undefined, ms, 5);
  };
  return { sys, got, fatal, until };
}

const ONE_WORKER: Placement = { workers: ['w'], pool: 0, place: { counter: 'w', recorder: 'w', echo: 'w', greeter: 'w', lossy: 'w' } };

describe('actors on worker threads', () => {
  it('actors talk across threads without knowing where they run', async () => {
    const { sys, got, until } = await start({ workers: ['w1', 'w2'], pool: 0, place: { echo: 'w1', counter: 'w2' } });
    sys.spawn({ name: 'e', kind: 'echo' });
    sys.spawn({ name: 'c', kind: 'counter' });
    expect(sys.whereIs('e')).toBe('w1');
    expect(sys.whereIs('c')).toBe('w2');
    sys.send('e', { type: 'ping', n: 1, replyTo: 'test' });
    // echo (w1) relays an inc to counter (w2), which answers the endpoint on main.
    sys.send('e', { type: 'relay', to: 'c', msg: { type: 'inc', id: 7, replyTo: 'test' } });
    await until(() => got.length === 2, 'two answers');
    expect(got.find((m) => m.type === 'pong')).toMatchObject({ n: 1, from: 'e' });
    expect(got.find((m) => m.type === 'count')).toMatchObject({ n: 1, id: 7 });
    expect(got.find((m) => m.type === 'pong')!.threadId).not.toBe(0);
  });

  it('batches messages: a burst crosses in a few data-plane batches, not one per message', async () => {
    const { sys, got, until } = await start(ONE_WORKER);
    sys.spawn({ name: 'c', kind: 'counter' });
    for (let i = 1; i <= 2000; i++) sys.send('c', { type: 'inc', id: i, replyTo: 'test' });
    await until(() => got.length === 2000, '2000 answers');
    expect(got.map((m) => m.n)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    const t = sys.threadStats().find((x) => x.name === 'w')!;
    expect(t.entriesOut).toBeGreaterThanOrEqual(2000);
    expect(t.batchesOut).toBeLessThan(20);
    expect(t.batchesIn).toBeLessThan(200);
  });

  it('starts an actor at its place in the stream: causal order holds across spawn', async () => {
    const { sys, got, until } = await start(ONE_WORKER);
    sys.spawn({ name: 'r', kind: 'recorder' });
    sys.send('r', { type: 'rec', v: 'first, from main' });
    sys.spawn({ name: 'g', kind: 'greeter', args: { to: 'r' } }); // its constructor sends to r
    // (A dump sent now would race the greeting: the two are concurrent. Ask until both are there.)
    let asked = 0;
    await until(() => {
      if (got.at(-1)?.log?.length === 2) return true;
      if (got.length === asked) sys.send('r', { type: 'dump', replyTo: 'test', id: ++asked }); // one dump at a time
      return false;
    }, 'both messages');
    expect(got.at(-1)!.log).toEqual(['first, from main', 'hello from g']);
  });

  it('an actor that throws restarts on its own thread with its durable state', async () => {
    const { sys, got, until } = await start(ONE_WORKER);
    sys.spawn({ name: 'c', kind: 'counter' });
    sys.send('c', { type: 'inc', id: 1, replyTo: 'test' });
    sys.send('c', { type: 'boom' });
    sys.send('c', { type: 'inc', id: 2, replyTo: 'test' });
    await until(() => got.length === 2, 'two counts');
    expect(got.map((m) => m.n)).toEqual([1, 2]);
    const st = (await sys.stats()).find((s) => s.name === 'c')!;
    expect(st).toMatchObject({ thread: 'w', restarts: 1, lastError: 'boom on request' });
  });

  it('a dead worker thread: its actors restart on a fresh one, state and unfinished messages intact, each handled once', async () => {
    const { sys, got, until, fatal } = await start(ONE_WORKER);
    const marker = join(mkdtempSync(join(tmpdir(), 'die-')), 'died');
    sys.spawn({ name: 'r', kind: 'recorder' });
    for (let i = 1; i <= 300; i++) sys.send('r', { type: 'rec', v: i, replyTo: 'test' });
    await until(() => got.length === 300, 'first 300 acks'); // these are done and reported
    // One turn: 300 more, then the thread dies mid-turn (before its batch leaves), then 300 more.
    for (let i = 301; i <= 600; i++) sys.send('r', { type: 'rec', v: i, replyTo: 'test' });
    sys.send('r', { type: 'die-once', marker });
    for (let i = 601; i <= 900; i++) sys.send('r', { type: 'rec', v: i, replyTo: 'test' });
    await until(() => got.length >= 900, '900 acks');
    sys.send('r', { type: 'dump', replyTo: 'test', id: 1 });
    await until(() => got.some((m) => m.type === 'log'), 'dump');
    const all = Array.from({ length: 900 }, (_, i) => i + 1);
    expect(got.find((m) => m.type === 'log')!.log).toEqual(all); // state: every message once, in order
    expect(got.filter((m) => m.type === 'ack').map((m) => m.v)).toEqual(all); // answers: each exactly once
    const st = (await sys.stats()).find((s) => s.name === 'r')!;
    expect(st.restarts).toBe(1);
    expect(st.lastError).toMatch(/^thread w died/);
    expect(sys.threadStats()[0]!.deaths).toBe(1);
    expect(fatal).toEqual([]);
  });

  it('a dead worker thread: messages between two of its actors that were not handled yet are handled once, in order', async () => {
    // e relays to r on the same thread: each e -> r message is journaled on
    // the main thread only if r had not handled it by the end of the turn
    // (worker-host.ts flush); the death must still lose none and repeat none.
    const { sys, got, until, fatal } = await start(ONE_WORKER);
    const marker = join(mkdtempSync(join(tmpdir(), 'die-')), 'died');
    sys.spawn({ name: 'e', kind: 'echo' });
    sys.spawn({ name: 'r', kind: 'recorder' });
    const relay = (msg: Message & Record<string, unknown>): boolean => sys.send('e', { type: 'relay', to: 'r', msg });
    for (let i = 1; i <= 300; i++) relay({ type: 'rec', v: i, replyTo: 'test' });
    await until(() => got.length === 300, 'first 300 acks');
    // More than one drain's worth per actor (256), so some relayed messages wait for a later turn.
    for (let i = 301; i <= 1200; i++) relay({ type: 'rec', v: i, replyTo: 'test' });
    relay({ type: 'die-once', marker });
    for (let i = 1201; i <= 1500; i++) relay({ type: 'rec', v: i, replyTo: 'test' });
    await until(() => got.length >= 1500, '1500 acks');
    sys.send('r', { type: 'dump', replyTo: 'test', id: 1 });
    await until(() => got.some((m) => m.type === 'log'), 'dump');
    const all = Array.from({ length: 1500 }, (_, i) => i + 1);
    expect(got.find((m) => m.type === 'log')!.log).toEqual(all);
    expect(got.filter((m) => m.type === 'ack').map((m) => m.v)).toEqual(all);
    expect(sys.threadStats()[0]!.deaths).toBe(1);
    expect(fatal).toEqual([]);
  });

  it('a temporary actor on a dead thread is gone: its watchers hear "crashed"', async () => {
    const { sys, until } = await start({ workers: [], pool: 2, place: { session: 'pool' } });
    const exits: string[] = [];
    for (const n of ['s1', 's2', 's3', 's4']) {
      sys.spawn({ name: n, kind: 'session', restart: 'temporary', args: { conn: 'test' } });
      sys.onExit(n, (name, reason) => exits.push(`${name}: ${reason}`));
    }
    expect(['s1', 's2', 's3', 's4'].map((n) => sys.whereIs(n))).toEqual(['pool-1', 'pool-2', 'pool-1', 'pool-2']);
    await sys.crashThread('pool-2');
    await until(() => exits.length === 2, 'two exits');
    expect(exits.sort()).toEqual(['s2: crashed: thread pool-2 died', 's4: crashed: thread pool-2 died']);
    expect(sys.whereIs('s1')).toBe('pool-1');
    expect(sys.whereIs('s2')).toBeUndefined();
  });

  it('a thread that keeps dying escalates', async () => {
    const { sys, until, fatal } = await start(ONE_WORKER, { threadLimits: { maxRestarts: 1, windowMs: 60_000, baseBackoffMs: 1, maxBackoffMs: 1 } });
    sys.spawn({ name: 'c', kind: 'counter' });
    await sys.crashThread('w');
    await until(() => sys.threadStats()[0]!.state === 'up' && sys.threadStats()[0]!.deaths === 1, 'the fresh thread');
    await sys.ready();
    await sys.crashThread('w');
    await until(() => fatal.length === 1, 'escalation');
    expect(fatal[0]).toMatch(/^worker thread w keeps dying \(2 crashes within 60000 ms \(limit 1 restarts\); last: .*\)$/);
  });

  it('an actor that keeps crashing on a worker escalates', async () => {
    const { sys, until, fatal } = await start(ONE_WORKER, { limits: { maxRestarts: 2, windowMs: 60_000, baseBackoffMs: 1, maxBackoffMs: 1 } });
    sys.spawn({ name: 'c', kind: 'counter' });
    const restarts = async (): Promise<number> => (await sys.stats(0)).find((x) => x.name === 'c')?.restarts ?? -1;
    for (let i = 0; i < 3; i++) {
      sys.send('c', { type: 'boom' });
      // Each crash hits a running instance: wait for the restart before the next.
      if (i < 2) await waitFor(`restart ${i + 1} of c`, async () => (await restarts()) >= i + 1, DEADLINE.local, 5);
    }
    await until(() => fatal.length === 1, 'escalation');
    expect(fatal[0]).toBe('supervisor root gives up (3 failures within 60000 ms (limit 2 restarts); last: c crashed: boom on request)');
  });

  it('an actor whose factory throws at its first start is restarted by its supervisor, on main and on a worker', async () => {
    const { sys, got, until } = await start({ workers: ['w'], pool: 0, place: { 'flaky-start': 'w' } });
    sys.spawnSupervisor({ name: 'g', strategy: 'one_for_one', children: [{ name: 'f', kind: 'flaky-start', args: { to: 'test' } }] });
    await until(() => got.length === 1, 'the worker one started');
    const main = await start({ workers: [], pool: 0, place: {} });
    main.sys.spawn({ name: 'f', kind: 'flaky-start', args: { to: 'test' } });
    await main.until(() => main.got.length === 1, 'the main one started');
    for (const m of [got[0]!, main.got[0]!]) expect(m.restart).toMatchObject({ count: 1, reason: 'f crashed: first start fails' });
  });

  it('a supervisor on main restarts children on other threads: rest_for_one across threads, also after a partial restore on a fresh thread', async () => {
    const { sys, got, until } = await start({ workers: ['w'], pool: 0, place: { starter: 'w' } });
    sys.spawnSupervisor({
      name: 'g',
      strategy: 'rest_for_one',
      children: [
        { name: 's', kind: 'starter', args: { to: 'test' } },
        { name: 'gr', kind: 'greeter', args: { to: 'test' } },
      ],
    });
    expect([sys.whereIs('s'), sys.whereIs('gr')]).toEqual(['w', 'main']);
    const starts = (): string[] => got.map((m) => (m.type === 'started' ? `${m.from}${m.main ? '' : '@worker'}` : String(m.v)));
    await until(() => got.length === 2, 'both started');
    // s (on the worker) crashes: its supervisor (main) restarts it, then gr after it.
    sys.send('s', { type: 'boom' });
    await until(() => got.length === 4, 'both restarted');
    // (Starts on two threads: the order in which the endpoint hears them is not fixed.)
    expect([starts().slice(0, 2).sort(), starts().slice(2).sort()]).toEqual([['hello from gr', 's@worker'], ['hello from gr', 's@worker']]);
    const stats = await sys.stats(0);
    expect(stats.filter((a) => a.supervisor === 'g').map((a) => `${a.name} ${a.restarts}`).sort()).toEqual(['gr 1', 's 1']);
    expect(sys.supervisors().find((x) => x.name === 'g')).toMatchObject({ strategy: 'rest_for_one', children: ['s', 'gr'], restarts: 1, parent: 'root' });
    expect(got.find((m) => m.type === 'rec' && m.dep === 's')).toBeDefined();
    // The worker thread dies: s comes back on a fresh thread without part of
    // its state (a partial durable class), which counts as a restart: gr,
    // which depends on it, restarts.
    await sys.crashThread('w');
    await until(() => got.length === 6, 'both started again');
    expect(starts().slice(4).sort()).toEqual(['hello from gr', 's@worker']);
    expect(got.at(-1)!.dep ?? got.at(-2)!.dep).toBe('s');
  });

  it('an actor whose durable state cannot be copied: a thread death exits instead of restoring it half', async () => {
    const { sys, until, fatal } = await start(ONE_WORKER);
    sys.spawn({ name: 'l', kind: 'lossy' });
    sys.spawn({ name: 'c', kind: 'counter' });
    // l's durable state went out with (or before) c's first batch.
    await until(() => sys.durableCopy('c', 'count') !== undefined, 'a first batch');
    await sys.crashThread('w');
    await until(() => fatal.length === 1, 'escalation');
    expect(fatal[0]).toMatch(/actor l cannot be restarted elsewhere without losing durable state: state.callback is a function/);
  });

  it('stats cover every thread: thread, depth, high-water, processed, rate, peek', async () => {
    const { sys, got, until } = await start({ workers: ['w'], pool: 0, place: { counter: 'w' } });
    sys.spawn({ name: 'c', kind: 'counter' });
    sys.spawn({ name: 'e', kind: 'echo' });
    for (let i = 1; i <= 50; i++) sys.send('c', { type: 'inc', id: i, replyTo: 'test' });
    await until(() => got.length === 50, 'answers');
    const stats = await sys.stats(3);
    expect(stats.map((s) => [s.name, s.thread])).toEqual([
      ['e', 'main'],
      ['c', 'w'],
    ]);
    const c = stats.find((s) => s.name === 'c')!;
    expect(c.processed).toBe(50);
    expect(c.maxDepth).toBeGreaterThan(0);
    expect(c.depth).toBe(0);
    expect(typeof c.rate).toBe('number');
  });
});
