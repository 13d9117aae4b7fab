// The TypeScript client library against a real single doozerd node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, ConnectionError, DoozerError } from '../../src/client/index.js';
import type { WaitEvent } from '../../src/client/index.js';
import { startDoozerd } from '../helpers/doozerd-process.js';
import type { DoozerdProcess } from '../helpers/doozerd-process.js';
import { DEADLINE } from '../helpers/deadlines.js';
import { stopGracefully } from '../helpers/graceful.js';
import { until } from '../helpers/until.js';

describe('Client against a real doozerd', () => {
  let node: DoozerdProcess;
  let c: Client;

  beforeAll(async () => {
    node = await startDoozerd();
    c = await Client.dial(node.uri);
    await until(`the node writable (NOP answered)\n${node.describe()}`, () => c.nop().then(() => true), DEADLINE.converge, 100);
  });

  afterAll(async () => {
    await c?.close();
    await node?.stop('SIGKILL');
  });

  it('reads what doozerd writes about itself', async () => {
    const id = await c.self();
    expect(id).toMatch(/^[A-Z2-7]{16}$/);
    expect((await c.get('/ctl/cal/0')).value.toString()).toBe(id);
    expect((await c.get(`/ctl/node/${id}/addr`)).value.toString()).toBe(node.addr);
    expect((await c.get('/ctl/name')).value.toString()).toBe('local');
    expect(await c.getdirAll('/ctl')).toEqual(expect.arrayContaining(['cal', 'name', 'node', 'ns']));
  });

  it('set / get / stat / del, with rev checks', async () => {
    const r1 = await c.set('/lib/a', 0, 'one');
    await expect(c.set('/lib/a', 0, 'again')).rejects.toMatchObject({ code: 'REV_MISMATCH' });
    const r2 = await c.set('/lib/a', r1, 'two');
    expect(await c.get('/lib/a')).toEqual({ value: Buffer.from('two'), rev: r2 });
    expect((await c.get('/lib/a', r1)).value.toString()).toBe('one');
    expect(await c.stat('/lib/a')).toEqual({ len: 3, rev: r2 });
    expect(await c.stat('/lib')).toEqual({ len: 1, rev: -2 });
    await expect(c.get('/lib')).rejects.toMatchObject({ code: 'ISDIR' });
    await expect(c.set('/lib/a/b', -1, 'x')).rejects.toMatchObject({ code: 'NOTDIR' });
    await c.del('/lib/a', r2);
    expect(await c.stat('/lib/a')).toEqual({ len: 0, rev: 0 });
  });

  it('pipelines many requests on one connection', async () => {
    const writes = await Promise.all(Array.from({ length: 20 }, (_, i) => c.set(`/lib/p/${i}`, -1, `v${i}`)));
    expect(new Set(writes).size).toBe(20);
    const reads = await Promise.all(Array.from({ length: 20 }, (_, i) => c.get(`/lib/p/${i}`)));
    reads.forEach((r, i) => expect(r.value.toString()).toBe(`v${i}`));
    // A pending WAIT does not hold up later requests.
    const from = (await c.rev()) + 1;
    const w = c.wait('/lib/nothing-yet/**', from);
    expect(typeof (await c.rev())).toBe('number');
    await c.set('/lib/nothing-yet/x', -1, 'now');
    expect((await w).path).toBe('/lib/nothing-yet/x');
  });

  it('getdirAll and walkAll read one consistent rev', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((n) => c.set(`/lib/dir/${n}`, -1, n)));
    expect(await c.getdirAll('/lib/dir')).toEqual(names);
    const walked = await c.walkAll('/lib/dir/*');
    expect(walked.map((e) => e.path)).toEqual(names.map((n) => `/lib/dir/${n}`));
    expect(walked.every((e) => e.isSet && e.value.toString() === e.path.slice(9))).toBe(true);
    await expect(c.getdirAll('/lib/none')).rejects.toMatchObject({ code: 'NOENT' });
    await expect(c.walk('/lib/[', 0)).rejects.toMatchObject({ code: 'OTHER', detail: 'invalid glob pattern: /lib/[' });
  });

  it('watch yields every change in order', async () => {
    const from = (await c.rev()) + 1;
    const w2 = await Client.dial(node.uri);
    try {
      const got: WaitEvent[] = [];
      const done = (async () => {
        for await (const ev of w2.watch('/lib/watch/**', from)) {
          got.push(ev);
          if (got.length === 3) break;
        }
      })();
      const r1 = await c.set('/lib/watch/a', -1, '1');
      await c.set('/lib/elsewhere', -1, 'x');
      const r2 = await c.set('/lib/watch/b', -1, '2');
      await c.del('/lib/watch/a', -1);
      await done;
      expect(got.map((e) => [e.path, e.isSet ? 'set' : 'del', e.value.toString()])).toEqual([
        ['/lib/watch/a', 'set', '1'],
        ['/lib/watch/b', 'set', '2'],
        ['/lib/watch/a', 'del', ''],
      ]);
      expect(got[0]!.rev).toBe(r1);
      expect(got[1]!.rev).toBe(r2);
    } finally {
      await w2.close();
    }
  });

  it('ACCESS without configured secrets is refused; cannot connect is a ConnectionError', async () => {
    await expect(c.access('x')).rejects.toSatisfy(
      (e: unknown) => e instanceof DoozerError && e.code === 'OTHER' && e.detail === 'permission denied',
    );
    await expect(Client.dial('doozer:?ca=127.0.0.1:1')).rejects.toBeInstanceOf(ConnectionError);
  });

  // Last: it stops the node.
  it('SIGTERM: the node exits 0, a pending WAIT ends with a ConnectionError, written data was answered', async () => {
    const rev = await c.set('/lib/last', -1, 'before SIGTERM');
    expect(await c.get('/lib/last')).toEqual({ value: Buffer.from('before SIGTERM'), rev });
    const pending = c.wait('/lib/never/**', rev + 1_000_000).then(() => new Error('the WAIT was answered'), (e: unknown) => e);
    await stopGracefully(node);
    expect(await pending).toBeInstanceOf(ConnectionError);
  });
});
