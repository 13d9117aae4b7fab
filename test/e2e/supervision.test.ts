// The node's supervision tree on a real bin/doozerd (docs/runtime.md,
// "Supervision"): a crash of the store restarts the actors that depend on
// its stream (rest_for_one), and the node keeps serving writes and watches,
// including a WAIT that was pending at the crash. Crashes come from the
// debug hooks (DOOZERD_DEBUG_HOOKS=1, POST /$actors/crash on -debug).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, DoozerError } from '../../src/client/index.js';
import { startDoozerd, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { TEST_TIMEOUT } from '../helpers/deadlines.js';
import { stopGracefully } from '../helpers/graceful.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

afterAll(async () => {
  await stopAll();
});

const DEPENDENTS = ['acceptor', 'learner', 'proposer', 'slave-watcher', 'liveness', 'pulse'];

interface Report {
  supervisors: { name: string; strategy: string; parent?: string; children: string[]; restarts: number }[];
  actors: { name: string; kind: string; thread: string; restarts: number; supervisor?: string; lastError?: string }[];
}

async function report(port: number): Promise<Report> {
  const res = await fetch(`http://127.0.0.1:${port}/$actors`);
  expect(res.status).toBe(200);
  return (await res.json()) as Report;
}

async function start(placement?: object): Promise<DoozerdProcess & { debugPort: number }> {
  const debugPort = await freePort('127.0.0.1', { udp: false });
  const args = ['-debug', `127.0.0.1:${debugPort}`];
  if (placement) {
    const file = join(mkdtempSync(join(tmpdir(), 'doozerd-supervision-')), 'placement.json');
    writeFileSync(file, JSON.stringify(placement));
    args.push('-placement', file);
  }
  const node = await startDoozerd({ args, env: { DOOZERD_DEBUG_HOOKS: '1', DOOZERD_PLACEMENT: undefined } });
  return Object.assign(node, { debugPort });
}

async function writable(c: Client): Promise<number> {
  let rev = 0;
  await until('the node to become writable', async () => {
    try {
      rev = await c.set('/ready', -1, 'yes');
      return true;
    } catch (e) {
      if (e instanceof DoozerError && e.code === 'READONLY') return false;
      throw e;
    }
  });
  return rev;
}

describe('supervision on a running node', () => {
  for (const [what, placement] of [
    ['every actor on main', undefined],
    ['the store on a worker thread, its dependents on main', { workers: ['core'], place: { store: 'core' } }],
  ] as const) {
    it(`${what}: a store crash restarts its dependents; writes and watches go on`, { timeout: TEST_TIMEOUT.node }, async () => {
      const node = await start(placement);
      const c = await Client.dial(node.addr);
      const rev = await writable(c);

      // The tree, as /$actors shows it.
      const before = await report(node.debugPort);
      const sup = (n: string) => before.supervisors.find((s) => s.name === n);
      expect(sup('node')).toMatchObject({ strategy: 'one_for_one', children: ['supervisor:sessions', 'supervisor:replica'] });
      expect(sup('node')!.parent).toBeUndefined();
      expect(sup('replica')).toMatchObject({ strategy: 'rest_for_one', parent: 'node', children: ['store', ...DEPENDENTS], restarts: 0 });
      expect(sup('sessions')).toMatchObject({ strategy: 'one_for_one', parent: 'node' });
      const by = (r: Report, n: string) => r.actors.find((a) => a.name === n)!;
      for (const n of ['store', ...DEPENDENTS]) expect(by(before, n).supervisor).toBe('replica');
      const sessions = before.actors.filter((a) => a.kind === 'client-session');
      expect(sessions.length).toBeGreaterThan(0);
      for (const s of sessions) expect(s.supervisor).toBe('sessions');
      if (placement) expect(by(before, 'store').thread).toBe('core');

      // A WAIT pending across the crash.
      const pending = c.wait('/watched/**', rev + 1);
      const res = await fetch(`http://127.0.0.1:${node.debugPort}/$actors/crash?actor=store`, { method: 'POST' });
      expect(res.status).toBe(200);
      await until('the store and every actor after it restarted', async () => {
        const r = await report(node.debugPort);
        return ['store', ...DEPENDENTS].every((n) => by(r, n).restarts === 1) && r.supervisors.find((s) => s.name === 'replica')!.restarts === 1;
      });
      const after = await report(node.debugPort);
      expect(by(after, 'store').lastError).toBe('crash requested through the debug hook');
      // Sessions are not in the group: untouched.
      for (const s of after.actors.filter((a) => a.kind === 'client-session')) expect(s.restarts).toBe(0);
      expect(node.stderr()).toMatch(/WARN runtime: supervisor replica: store failed; restarting it and what depends on it: acceptor, learner, proposer, slave-watcher, liveness, pulse \(rest_for_one\)/);

      // Writes go on, and the WAIT from before the crash hears the first one.
      const w1 = await c.set('/watched/a', -1, 'one');
      const ev = await pending;
      expect(ev.path).toBe('/watched/a');
      expect(ev.rev).toBe(w1);
      // A new watch, and more writes, after it.
      const next = c.wait('/watched/**', w1 + 1);
      const w2 = await c.set('/watched/b', -1, 'two');
      expect((await next).rev).toBe(w2);
      for (let i = 0; i < 20; i++) await c.set(`/after/${i}`, -1, String(i));
      expect(Buffer.from((await c.get('/watched/a')).value).toString()).toBe('one');
      // The node became writable again through the restarted proposer without any client seeing an error.
      expect(node.exitStatus()).toBeUndefined();
      await c.close();
      await stopGracefully(node);
    });
  }

  it('an acceptor crash restarts what comes after it, not the store; writes go on', { timeout: TEST_TIMEOUT.node }, async () => {
    const node = await start();
    const c = await Client.dial(node.addr);
    await writable(c);
    const res = await fetch(`http://127.0.0.1:${node.debugPort}/$actors/crash?actor=acceptor`, { method: 'POST' });
    expect(res.status).toBe(200);
    const by = (r: Report, n: string) => r.actors.find((a) => a.name === n)!;
    await until('the acceptor and every actor after it restarted', async () => {
      const r = await report(node.debugPort);
      return DEPENDENTS.every((n) => by(r, n).restarts === 1);
    });
    expect(by(await report(node.debugPort), 'store').restarts).toBe(0);
    for (let i = 0; i < 20; i++) await c.set(`/after/${i}`, -1, String(i));
    expect(Buffer.from((await c.get('/after/19')).value).toString()).toBe('19');
    await c.close();
    await stopGracefully(node);
  });
});
