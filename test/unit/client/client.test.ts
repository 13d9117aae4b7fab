import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import type { WaitEvent } from '../../../src/client/client.js';
import { DoozerError } from '../../../src/wire/errors.js';
import { ErrCode, Verb } from '../../../src/wire/client-codec.js';
import { memoryStore, startFakeServer } from './fake-server.js';
import { DEADLINE } from '../../helpers/deadlines.js';
import { until } from '../../helpers/until.js';
import type { FakeServer } from './fake-server.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setup(opts: Parameters<typeof memoryStore>[0] = {}) {
  const store = memoryStore(opts);
  const server = await startFakeServer(store.handler);
  cleanup.push(() => server.close());
  const client = await Client.dial(server.uri);
  cleanup.push(() => client.close());
  return { store, server, client };
}

/** Until the server has received `n` WAIT requests (then the last one is pending there). */
const waits = (server: FakeServer, n: number): Promise<true> =>
  until(`${n} WAIT request(s) at the server`, () => server.requests.filter((r) => r.verb === Verb.WAIT).length >= n || undefined, DEADLINE.local, 2);

const text = (e: WaitEvent) => ({ path: e.path, rev: e.rev, value: e.value.toString(), isSet: e.isSet, isDel: e.isDel });

/** Reads `events` in the background until `count` have come: `seen` fills as they come (as text()), `done` settles after the last. */
function collect(events: AsyncIterable<WaitEvent>, count: number): { seen: ReturnType<typeof text>[]; done: Promise<void> } {
  const seen: ReturnType<typeof text>[] = [];
  const done = (async () => {
    for await (const ev of events) {
      seen.push(text(ev));
      if (seen.length === count) break;
    }
  })();
  return { seen, done };
}

describe('Client against an in-memory store', () => {
  it('set / get / stat / del round trip', async () => {
    const { client: c } = await setup();
    const r1 = await c.set('/a/b', 0, 'one');
    expect(await c.get('/a/b')).toEqual({ value: Buffer.from('one'), rev: r1 });
    expect(await c.stat('/a/b')).toEqual({ len: 3, rev: r1 });
    expect(await c.stat('/a')).toEqual({ len: 1, rev: -2 });
    await expect(c.set('/a/b', 0, 'two')).rejects.toMatchObject({ code: 'REV_MISMATCH' });
    const r2 = await c.set('/a/b', r1, new Uint8Array([0, 255]));
    expect(r2).toBeGreaterThan(r1);
    expect((await c.get('/a/b')).value).toEqual(Buffer.from([0, 255]));
    await c.del('/a/b', r2);
    expect(await c.stat('/a/b')).toEqual({ len: 0, rev: 0 });
  });

  it('rejects non-integer revs before sending', async () => {
    const { client: c, server } = await setup();
    await expect(c.set('/a', 1.5, 'x')).rejects.toThrow(TypeError);
    expect(server.requests.length).toBe(0);
  });

  it('getdirAll lists entries in byte order; errors name the problem', async () => {
    const { client: c } = await setup();
    const names = Array.from({ length: 40 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    for (const n of names) await c.set(`/d/${n}`, 0, n);
    await c.set('/d/Z', 0, 'z');
    expect(await c.getdirAll('/d')).toEqual(['Z', ...names]);
    await expect(c.getdirAll('/nope')).rejects.toMatchObject({ code: 'NOENT' });
    await expect(c.getdirAll('/d/Z')).rejects.toMatchObject({ code: 'NOTDIR' });
  });

  it('walkAll returns every match in walk order across several windows', async () => {
    const { client: c } = await setup();
    const paths: string[] = [];
    for (let i = 0; i < 70; i++) paths.push(`/w/${String(i).padStart(3, '0')}`);
    for (const p of paths) await c.set(p, 0, p);
    await c.set('/w-x', 0, 'other');
    const all = await c.walkAll('/w/*');
    expect(all.map((e) => e.path)).toEqual(paths);
    expect(all.every((e) => e.isSet && e.value.toString() === e.path)).toBe(true);
    expect(await c.walkAll('/nothing/**')).toEqual([]);
    await expect(c.walkAll('/w/[')).rejects.toMatchObject({ code: 'OTHER', detail: 'invalid glob pattern: /w/[' });
  });

  it('wait answers from history or when the change happens', async () => {
    const { client: c, store, server } = await setup();
    const r = await c.set('/q/a', 0, 'x');
    expect(text(await c.wait('/q/**', r))).toEqual({ path: '/q/a', rev: r, value: 'x', isSet: true, isDel: false });
    const p = c.wait('/q/**', r + 1);
    // The change happens while the WAIT is pending at the server, not before it arrives.
    await waits(server, 2);
    store.del('/q/a');
    expect(text(await p)).toEqual({ path: '/q/a', rev: r + 1, value: '', isSet: false, isDel: true });
  });

  it('self, rev, nop', async () => {
    const { client: c } = await setup({ id: 'ABCDEFGHIJKLMNOP' });
    expect(await c.self()).toBe('ABCDEFGHIJKLMNOP');
    const r = await c.rev();
    await c.nop();
    expect(await c.rev()).toBe(r + 1);
  });

  it('with a secret: refused until ACCESS, fine after', async () => {
    const store = memoryStore({ secret: 'sesame' });
    const server = await startFakeServer(store.handler);
    cleanup.push(() => server.close());
    const anon = await Client.dial(server.uri);
    cleanup.push(() => anon.close());
    await expect(anon.get('/x')).rejects.toMatchObject({ code: 'OTHER', detail: 'permission denied' });
    const ok = await Client.dial(`${server.uri}&sk=sesame`);
    cleanup.push(() => ok.close());
    expect((await ok.get('/x')).rev).toBe(0);
  });
});

describe('Client.walkSnapshot', () => {
  // A node whose history outran the first walk (TOO_LATE), after which the
  // writes stop: its rev stands still at 100 and a walk at a future rev would
  // wait for a write nobody makes. The copy must then walk at the current rev.
  it('gives up a walk at a future rev when the node goes quiet, and walks at the current rev', async () => {
    const walkRevs: number[] = [];
    const server = await startFakeServer((req, conn) => {
      if (req.verb === Verb.REV) return conn.reply({ tag: req.tag, rev: 100 });
      if (req.verb !== Verb.WALK) return conn.reply({ tag: req.tag, errCode: ErrCode.OTHER });
      walkRevs.push(req.rev!);
      if (walkRevs.length === 1) return conn.reply({ tag: req.tag, errCode: ErrCode.TOO_LATE });
      if (req.rev! > 100) return; // a future rev: answered when the store gets there (never)
      if (req.offset === 0) return conn.reply({ tag: req.tag, path: '/a', rev: 7, value: Buffer.from('x'), flags: 4 });
      conn.reply({ tag: req.tag, errCode: ErrCode.RANGE });
    });
    cleanup.push(() => server.close());
    const c = await Client.dial(server.uri);
    cleanup.push(() => c.close());
    const snap = await c.walkSnapshot('/**', { quietMs: 50 });
    expect(snap.rev).toBe(100);
    expect(snap.entries.map((e) => [e.path, e.rev, e.value.toString()])).toEqual([['/a', 7, 'x']]);
    // First at the current rev (too late), then ahead (abandoned: no progress), then at the current rev again.
    expect(walkRevs[0]).toBe(100);
    expect(walkRevs.some((r) => r > 100)).toBe(true);
    expect(walkRevs.at(-1)).toBe(100);
  });
});

describe('Client.watch', () => {
  it('yields every change in order, re-waiting at rev+1, and stops on break', async () => {
    const { client: c, store, server } = await setup();
    const from = (await c.rev()) + 1;
    const { seen, done } = collect(c.watch('/w/**', from), 4);
    store.set('/w/a', '1');
    store.set('/other', 'ignored');
    store.set('/w/b', '2');
    // The next changes come while the watch is waiting again.
    await until('two events seen', () => seen.length >= 2 || undefined, DEADLINE.local, 2);
    store.del('/w/a');
    store.set('/w/a', '3');
    await done;
    expect(seen).toEqual([
      { path: '/w/a', rev: from, value: '1', isSet: true, isDel: false },
      { path: '/w/b', rev: from + 2, value: '2', isSet: true, isDel: false },
      { path: '/w/a', rev: from + 3, value: '', isSet: false, isDel: true },
      { path: '/w/a', rev: from + 4, value: '3', isSet: true, isDel: false },
    ]);
    const waits = server.requests.filter((r) => r.verb === Verb.WAIT).map((r) => r.rev);
    expect(waits).toEqual([from, from + 1, from + 3, from + 4]);
  });

  it('defaults to the next change, and stop() ends a pending next()', async () => {
    const { client: c, store, server } = await setup();
    store.set('/old', 'before');
    const w = c.watch('/**');
    const first = w.next();
    await waits(server, 1);
    store.set('/new', 'after');
    expect(text((await first).value as WaitEvent).path).toBe('/new');
    const pending = w.next();
    await waits(server, 2);
    w.stop();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await w.next()).toEqual({ done: true, value: undefined });
    // The connection still works after abandoning the WAIT.
    expect(await c.rev()).toBe(store.rev);
  });

  it('ends when its AbortSignal fires, and reports nop events on /**', async () => {
    const { client: c } = await setup();
    const ac = new AbortController();
    const from = (await c.rev()) + 1;
    const got: WaitEvent[] = [];
    const done = (async () => {
      for await (const ev of c.watch('/**', from, { signal: ac.signal })) {
        got.push(ev);
        ac.abort();
      }
    })();
    await c.nop();
    await done;
    expect(got.map((e) => [e.path, e.rev, e.flags, e.isSet, e.isDel])).toEqual([['/', from, 0, false, false]]);
  });

  it('keeps `window` WAITs in flight at consecutive revs and yields each change once, in order', async () => {
    const { client: c, store, server } = await setup();
    const from = (await c.rev()) + 1;
    const { seen, done } = collect(c.watch('/**', from, { window: 4 }), 6);
    await waits(server, 4);
    expect(server.requests.filter((r) => r.verb === Verb.WAIT).map((r) => r.rev)).toEqual([from, from + 1, from + 2, from + 3]);
    for (let i = 0; i < 6; i++) store.set(`/p/${i}`, String(i));
    await done;
    expect(seen.map((e) => [e.path, e.rev])).toEqual([0, 1, 2, 3, 4, 5].map((i) => [`/p/${i}`, from + i]));
  });

  it('a narrow glob with several WAITs in flight skips the repeated answers and re-arms after the event', async () => {
    const { client: c, store, server } = await setup();
    const from = (await c.rev()) + 1;
    const { seen, done } = collect(c.watch('/w/*', from, { window: 3 }), 3);
    await waits(server, 3);
    store.set('/other', 'x'); // from
    store.set('/other', 'y'); // from + 1
    store.set('/w/a', '1'); // from + 2: the answer to all three WAITs
    store.set('/other', 'z');
    store.set('/w/b', '2'); // from + 4
    store.set('/w/a', '3'); // from + 5
    await done;
    expect(seen.map((e) => [e.path, e.rev, e.value])).toEqual([
      ['/w/a', from + 2, '1'],
      ['/w/b', from + 4, '2'],
      ['/w/a', from + 5, '3'],
    ]);
    // After the event at from + 2 it asked from from + 3 on, never again below.
    const later = server.requests.filter((r) => r.verb === Verb.WAIT).slice(3).map((r) => r.rev!);
    expect(Math.min(...later)).toBe(from + 3);
  });

  it('by default a /** watch widens its window while the whole window comes back at once (32, doubling to 1024), and still yields each change once, in order', async () => {
    const { client: c, store, server } = await setup();
    const from = (await c.rev()) + 1;
    for (let i = 0; i < 5000; i++) store.set(`/h/${i % 5}`, String(i)); // all in history: the watcher starts 5000 behind
    const seen: number[] = [];
    for await (const ev of c.watch('/**', from)) {
      seen.push(ev.rev);
      if (seen.length === 3000) break;
      // Now and then the consumer is busy until the whole window is answered, so the window widens.
      if (seen.length % 50 === 0) await until('every WAIT answered', () => c.connection.inFlight === 0 || undefined, DEADLINE.local, 1);
    }
    expect(seen).toEqual(Array.from({ length: 3000 }, (_, i) => from + i));
    const asked = server.requests.filter((r) => r.verb === Verb.WAIT).map((r) => r.rev!);
    expect(asked.slice(0, 32)).toEqual(Array.from({ length: 32 }, (_, i) => from + i));
    expect(new Set(asked).size).toBe(asked.length); // every rev asked once
    expect(Math.max(...asked)).toBeGreaterThan(from + 3000 + 512); // the window grew past 512...
    expect(Math.max(...asked)).toBeLessThan(from + 3000 + 1024); // ...and no further than 1024
  });

  it('a given window stays fixed; a lost connection ends the watch with ConnectionError', async () => {
    const { client: c, store, server } = await setup();
    const from = (await c.rev()) + 1;
    for (let i = 0; i < 100; i++) store.set('/f', String(i));
    const it = c.watch('/**', from, { window: 4 });
    for (let i = 0; i < 100; i++) expect(((await it.next()).value as WaitEvent).rev).toBe(from + i);
    await waits(server, 103);
    const asked = server.requests.filter((r) => r.verb === Verb.WAIT).map((r) => r.rev!);
    expect(asked).toEqual(Array.from({ length: 103 }, (_, i) => from + i)); // never more than 4 ahead of the one taken
    const pending = it.next();
    await server.close();
    await expect(pending).rejects.toMatchObject({ name: 'ConnectionError' });
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('refuses a window that is not a positive integer', async () => {
    const { client: c } = await setup();
    expect(() => c.watch('/**', 1, { window: 0 })).toThrow(TypeError);
  });

  it('throws server errors (e.g. a bad glob) from the iterator', async () => {
    const { client: c } = await setup();
    const it = c.watch('/[', 1);
    await expect(it.next()).rejects.toBeInstanceOf(DoozerError);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });
});

describe('cn= resolution through a name service', () => {
  it('looks up /ctl/ns/<cn>/* and dials those addresses', async () => {
    const target = await setup({ id: 'TARGETTARGETTARG' });
    const ns = memoryStore();
    const nsServer: FakeServer = await startFakeServer(ns.handler);
    cleanup.push(() => nsServer.close());
    ns.set('/ctl/ns/ls/AAAA', '127.0.0.1:1'); // dead entry, skipped
    ns.set('/ctl/ns/ls/BBBB', target.server.address);
    ns.set('/ctl/ns/other/CCCC', '127.0.0.1:2');
    const c = await Client.dial('doozer:?cn=ls', { boot: nsServer.uri });
    cleanup.push(() => c.close());
    expect(await c.self()).toBe('TARGETTARGETTARG');
    await expect(Client.dial('doozer:?cn=nope', { boot: nsServer.uri })).rejects.toThrow(
      /cluster "nope" is not registered in the name service/,
    );
  });
});
