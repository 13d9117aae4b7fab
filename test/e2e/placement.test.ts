// Placement and supervision across threads, end to end: real doozerd
// processes with placement files, the -debug server, the debug hooks
// (DOOZERD_DEBUG_HOOKS=1: POST /$actors/crash?thread=|actor=), real clients.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, DoozerError } from '../../src/client/index.js';
import { DOOZERD_BIN, startDoozerd, startProcess, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { AckedWrites } from '../helpers/acked-writes.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';
import { stopGracefully } from '../helpers/graceful.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

const dir = mkdtempSync(join(tmpdir(), 'doozerd-placement-'));
const placementFile = (name: string, body: unknown): string => {
  const f = join(dir, name);
  writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body));
  return f;
};

afterAll(async () => {
  await stopAll();
});


interface Actor {
  name: string;
  kind: string;
  thread: string;
  depth: number;
  maxDepth: number;
  processed: number;
  rate: number;
  restarts: number;
  lastError?: string;
  peek: string[];
}

async function actors(port: number): Promise<{ threads: string[]; actors: Actor[]; workers?: { name: string; deaths: number }[] }> {
  const res = await fetch(`http://127.0.0.1:${port}/$actors`);
  expect(res.status).toBe(200);
  return (await res.json()) as { threads: string[]; actors: Actor[] };
}

async function start(placement: string | undefined, opts: { web?: boolean; hooks?: boolean } = {}): Promise<DoozerdProcess & { debugPort: number; webPort?: number }> {
  const debugPort = await freePort('127.0.0.1', { udp: false });
  const webPort = opts.web ? await freePort('127.0.0.1', { udp: false }) : undefined;
  const node = await startDoozerd({
    ...(webPort ? { web: `127.0.0.1:${webPort}` } : {}),
    args: [...(placement ? ['-placement', placement] : []), '-debug', `127.0.0.1:${debugPort}`],
    env: { DOOZERD_DEBUG_HOOKS: opts.hooks ? '1' : undefined, DOOZERD_PLACEMENT: undefined },
  });
  return Object.assign(node, { debugPort, ...(webPort ? { webPort } : {}) });
}

async function dial(node: DoozerdProcess): Promise<Client> {
  return Client.dial(node.addr);
}

/** A new node is READONLY until its startup seqns are applied: retry until writable. */
async function writable(c: Client): Promise<void> {
  await until('the node to become writable', async () => {
    try {
      await c.set('/ready', -1, 'yes');
      return true;
    } catch (e) {
      if (e instanceof DoozerError && e.code === 'READONLY') return false;
      throw e;
    }
  });
}

const crash = (node: { debugPort: number }, what: string): Promise<Response> =>
  fetch(`http://127.0.0.1:${node.debugPort}/$actors/crash?${what}`, { method: 'POST' });

/**
 * Writers: each sets its own fresh paths one after another; an answer is an
 * acknowledged write. A request that fails may only fail by its connection
 * closing (then the writer dials again); anything else, or no answer within
 * the deadline, is recorded as a problem.
 */
function writers(node: DoozerdProcess, n: number) {
  const acked = new AckedWrites();
  const problems: string[] = [];
  let closedConnections = 0;
  let stop = false;
  const loops = Array.from({ length: n }, async (_, w) => {
    let c = await dial(node);
    for (let k = 0; !stop; k++) {
      const path = `/load/w${w}/k${k}`;
      const value = `w${w}-${k}`;
      try {
        let timer: NodeJS.Timeout | undefined;
        const rev = await Promise.race([
          c.set(path, -1, value),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer to SET ${path} within ${DEADLINE.answer} ms`)), DEADLINE.answer);
          }),
        ]).finally(() => clearTimeout(timer));
        acked.record(path, value, rev);
      } catch (e) {
        acked.unsure(path, value);
        if (e instanceof DoozerError) {
          problems.push(`${path}: ${e.message}`);
          continue;
        }
        if (/closed|ECONNRESET|EPIPE/i.test((e as Error).message)) {
          closedConnections++;
          await c.close().catch(() => undefined);
          c = await dial(node);
          continue;
        }
        problems.push(`${path}: ${(e as Error).message}`);
        return;
      }
    }
    await c.close();
  });
  return {
    acked,
    problems,
    closed: () => closedConnections,
    async stop(): Promise<void> {
      stop = true;
      await Promise.all(loops);
    },
  };
}

/** Every acknowledged write reads back with its value and rev (at its rev, and now). */
async function checkAcked(node: DoozerdProcess, acked: AckedWrites): Promise<void> {
  expect(await acked.verify([node])).toBeGreaterThanOrEqual(acked.size);
}

describe('placement file', { timeout: TEST_TIMEOUT.node }, () => {
  it('a bad file is a usage error (exit 2) naming the bad key and the allowed values', async () => {
    const bad = placementFile('bad.json', { workers: ['core'], place: { store: 'cor' } });
    const p = await startProcess(process.execPath, [DOOZERD_BIN, '-l', '127.0.0.1:1', '-placement', bad]);
    const st = await p.exited;
    expect(st.code).toBe(2);
    expect(p.stderr()).toContain(`doozerd: placement ${bad}: "place.store": "cor" is not a thread; allowed: "main", "core"`);

    const unknown = placementFile('unknown.json', '{"pool": 1, "plaec": {}}');
    const q = await startProcess(process.execPath, [DOOZERD_BIN, '-l', '127.0.0.1:1'], { env: { DOOZERD_PLACEMENT: unknown } });
    expect((await q.exited).code).toBe(2);
    expect(q.stderr()).toContain('unknown key "plaec"; allowed keys: "workers", "pool", "place", "comment"');

    const kind = placementFile('kind.json', { place: { sotre: 'main' } });
    const r = await startProcess(process.execPath, [DOOZERD_BIN, '-l', '127.0.0.1:1', `-placement=${kind}`]);
    expect((await r.exited).code).toBe(2);
    expect(r.stderr()).toContain('"place": unknown actor kind "sotre"; allowed: ');
    expect(r.stderr()).toMatch(/allowed: .*"store"/);
    // The message is not buried under the flag usage.
    expect(r.stderr()).not.toContain('Usage: doozerd');
    expect(r.stderr()).toContain('run doozerd -h for the flags');
  });

  it('an edited placement shows after a restart, on the web port and the -debug server', async () => {
    const first = await start(undefined, { web: true });
    const before = await actors(first.webPort!);
    expect(before.threads).toEqual(['main']);
    expect(before.actors.find((a) => a.name === 'store')!.thread).toBe('main');
    await stopGracefully(first);

    const file = placementFile('edited.json', { workers: ['core'], pool: 1, place: { store: 'core', consensus: 'core', 'client-session': 'pool' } });
    const node = await start(file, { web: true });
    const c = await dial(node);
    await writable(c);
    for (const port of [node.webPort!, node.debugPort]) {
      const r = await actors(port);
      expect(r.threads).toEqual(['main', 'core', 'pool-1']);
      const where = Object.fromEntries(r.actors.map((a) => [a.name, a.thread]));
      expect(where.store).toBe('core');
      // "consensus" in a placement names the Paxos role actors.
      for (const role of ['acceptor', 'learner', 'proposer']) expect(where[role], role).toBe('core');
      expect(where.pulse).toBe('main');
      expect(Object.entries(where).filter(([n]) => n.startsWith('client-session:')).map(([, t]) => t)).toEqual(['pool-1']);
      const store = r.actors.find((a) => a.name === 'store')!;
      expect(store.processed).toBeGreaterThan(0);
      expect(store.maxDepth).toBeGreaterThan(0);
      for (const k of ['depth', 'maxDepth', 'processed', 'rate', 'restarts'] as const) expect(typeof store[k]).toBe('number');
      expect(Array.isArray(store.peek)).toBe(true);
      const html = await (await fetch(`http://127.0.0.1:${port}/$actors.html`)).text();
      expect(html).toContain('<tr data-actor="store" data-thread="core">');
    }
    // The -debug server serves those two routes and /metrics, nothing else (the crash hook is off).
    expect((await fetch(`http://127.0.0.1:${node.debugPort}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${node.debugPort}/ready`)).status).toBe(404);
    expect((await crash(node, 'thread=core')).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${node.debugPort}/$actors`, { method: 'HEAD' })).status).toBe(200);
    await c.close();
    await stopGracefully(node);
  });
});

/**
 * Start a node with `place` on worker "core", write with 8 writers, kill that
 * thread, and wait until `names` restarted there and 200 more writes were acknowledged.
 */
async function killCoreUnderLoad(file: string, names: string[]): Promise<{ node: Awaited<ReturnType<typeof start>>; w: ReturnType<typeof writers> }> {
  const node = await start(file, { hooks: true });
  const c = await dial(node);
  await writable(c);
  await c.close();

  const w = writers(node, 8);
  await until('200 acknowledged writes', async () => w.acked.size >= 200);
  expect((await crash(node, 'thread=core')).status).toBe(200);
  await until(`${names.join(' and ')} restarted on a fresh thread`, async () => {
    const r = await actors(node.debugPort);
    const restarted = r.actors.filter((a) => names.includes(a.name) && a.restarts >= 1 && a.thread === 'core');
    return restarted.length === names.length && r.workers?.find((x) => x.name === 'core')?.deaths === 1;
  });
  const atCrash = w.acked.size;
  await until('200 more acknowledged writes after the crash', async () => w.acked.size >= atCrash + 200);
  await w.stop();
  return { node, w };
}

describe('supervision across threads', { timeout: TEST_TIMEOUT.node }, () => {
  it('the store and proposer thread dies under write load: the node keeps serving, no acknowledged write is lost', async () => {
    const file = placementFile('core.json', { workers: ['core'], place: { store: 'core', proposer: 'core' } });
    const { node, w } = await killCoreUnderLoad(file, ['store', 'proposer']);

    // The proposer holds the writes in flight (its Paxos rounds die with the
    // thread): those get an honest "may or may not" error, nothing else.
    expect(w.problems.filter((p) => !/may or may not have been applied/.test(p))).toEqual([]);
    await checkAcked(node, w.acked);
    const r = await actors(node.debugPort);
    expect(r.actors.find((a) => a.name === 'store')!.lastError).toMatch(/^thread core died/);
    expect(node.exitStatus()).toBeUndefined();
    expect(node.stderr().match(/worker thread core died/g)).toHaveLength(1);
    await stopGracefully(node);
  });

  it('the consensus thread dies under write load: its acceptors come back, the node keeps serving, no acknowledged write is lost', async () => {
    const file = placementFile('consensus.json', { workers: ['core'], place: { consensus: 'core' } });
    const { node, w } = await killCoreUnderLoad(file, ['acceptor', 'learner', 'proposer']);

    // Writes in flight in the dead thread get an honest "may or may not" error, nothing else.
    expect(w.problems.filter((p) => !/may or may not have been applied/.test(p))).toEqual([]);
    await checkAcked(node, w.acked);
    expect(node.exitStatus()).toBeUndefined();
    expect(node.stderr()).not.toMatch(/cannot be restarted elsewhere|durable state cannot follow/);
    // An exact restore (the acceptor's promises travel whole): no supervisor restarted anything.
    expect(node.stderr()).not.toMatch(/supervisor replica/);
    await stopGracefully(node);
  });

  it('a session pool thread dies: its connections close, the others go on, no acknowledged write is lost', async () => {
    const file = placementFile('pool.json', { pool: 2, place: { 'client-session': 'pool' } });
    const node = await start(file, { hooks: true });
    const c = await dial(node);
    await writable(c);
    await c.close();

    const w = writers(node, 8);
    await until('100 acknowledged writes', async () => w.acked.size >= 100);
    const before = await actors(node.debugPort);
    const onPool1 = before.actors.filter((a) => a.kind === 'client-session' && a.thread === 'pool-1').length;
    expect(onPool1).toBeGreaterThan(0);
    expect((await crash(node, 'thread=pool-1')).status).toBe(200);
    await until('the connections of pool-1 to close and reconnect', async () => w.closed() >= onPool1);
    const atCrash = w.acked.size;
    await until('100 more acknowledged writes', async () => w.acked.size >= atCrash + 100);
    await w.stop();

    expect(w.problems).toEqual([]);
    expect(w.closed()).toBe(onPool1);
    await checkAcked(node, w.acked);
    await stopGracefully(node);
  });

  it('an actor that throws restarts where it lives; too many crashes fail its supervisor, then the top one: exit non-zero', async () => {
    const file = placementFile('store-core.json', { workers: ['core'], place: { store: 'core' } });
    const node = await start(file, { hooks: true });
    const c = await dial(node);
    await writable(c);
    const rev = await c.set('/before', -1, 'kept');

    expect((await crash(node, 'actor=store')).status).toBe(200);
    await until('the store restarted on its thread', async () => {
      const s = (await actors(node.debugPort)).actors.find((a) => a.name === 'store')!;
      return s.restarts === 1 && s.thread === 'core' && s.lastError === 'crash requested through the debug hook';
    });
    const got = await c.get('/before');
    expect(Buffer.from(got.value).toString()).toBe('kept');
    expect(got.rev).toBe(rev);

    // The store's supervisor (replica: 5 restarts within 10 s) fails at the
    // 6th crash; the top supervisor (node: 1 restart within 10 s) restarts
    // the whole group once; when replica fails again, node gives up and the
    // node exits. Crash the store again each time it is back.
    let crashes = 1;
    const restarts = async (): Promise<number> => (await actors(node.debugPort)).actors.find((a) => a.name === 'store')!.restarts;
    while (!node.exitStatus() && crashes < 30) {
      const before = await restarts().catch(() => -1);
      await crash(node, 'actor=store').catch(() => undefined);
      crashes++;
      await until('the store restarted or the node exited', async () => node.exitStatus() !== undefined || (await restarts()) > before);
    }
    const st = await node.exited;
    expect(crashes).toBe(12);
    expect(st.code).toBe(1);
    const lines = node.stderr().split('\n').filter((l) => /gives up|keeps crashing|escalat/.test(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/ERROR runtime: supervisor replica gives up \(6 failures within 10000 ms \(limit 5 restarts\); last: store crashed: crash requested through the debug hook\); its supervisor node restarts it$/);
    expect(lines[1]).toBe(lines[0]!.replace(/^\S+/, lines[1]!.split(' ')[0]!));
    expect(lines[2]).toMatch(/ERROR doozerd: supervisor node gives up \(2 failures within 10000 ms \(limit 1 restarts\); last: supervisor replica failed\); exiting$/);
    await c.close().catch(() => undefined);
  });
});
