// A watcher that falls further behind than the node's history (-hist) gets
// TOO_LATE as soon as it asks for a trimmed rev: never silence, never a gap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, DoozerError } from '../../src/client/index.js';
import type { WaitEvent } from '../../src/client/index.js';
import { startDoozerd } from '../helpers/doozerd-process.js';
import type { DoozerdProcess } from '../helpers/doozerd-process.js';
import { DEADLINE } from '../helpers/deadlines.js';
import { until } from '../helpers/until.js';

describe('a watcher behind the history', () => {
  let node: DoozerdProcess;
  let c: Client;
  let w: Client;

  beforeAll(async () => {
    node = await startDoozerd({ args: ['-hist', '100'] });
    c = await Client.dial(node.uri);
    w = await Client.dial(node.uri);
    await until(`the node writable (NOP answered)\n${node.describe()}`, () => c.nop().then(() => true), DEADLINE.converge, 100);
  });

  afterAll(async () => {
    await c?.close();
    await w?.close();
    await node?.stop('SIGKILL');
  });

  it('gets every event in order up to the point it fell behind, then TOO_LATE (default window and window 1)', async () => {
    for (const opts of [{}, { window: 1 }]) {
      const from = (await c.rev()) + 1;
      const it = w.watch('/**', from, opts);
      const first = c.set('/behind/x', -1, 'first');
      const got: WaitEvent[] = [(await it.next()).value as WaitEvent];
      expect(got[0]!.rev).toBe(await first);
      // The watcher pauses while 600 writes go by (6 x -hist).
      const revs = await Promise.all(Array.from({ length: 600 }, (_, i) => c.set(`/behind/${i % 7}`, -1, String(i))));
      expect(Math.max(...revs)).toBeGreaterThan(from + 500);
      // Resumed: what was already answered arrives (no gap), then TOO_LATE, not a hang.
      let err: unknown;
      try {
        for (;;) {
          const r = await it.next();
          if (r.done) break;
          got.push(r.value);
        }
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DoozerError);
      expect((err as DoozerError).code).toBe('TOO_LATE');
      got.forEach((ev, i) => expect(ev.rev).toBe(from + i));
      expect(got.length).toBeLessThan(600);
      expect(await it.next()).toEqual({ done: true, value: undefined });
    }
  });

  it('a watcher that keeps up sees all 600 of the same writes', async () => {
    const from = (await c.rev()) + 1;
    const seen: number[] = [];
    const done = (async () => {
      for await (const ev of w.watch('/**', from)) {
        seen.push(ev.rev);
        if (seen.length === 600) break;
      }
    })();
    for (let i = 0; i < 600; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => c.set(`/kept/${(i + j) % 7}`, -1, String(i + j))));
    await done;
    expect(seen).toEqual(Array.from({ length: 600 }, (_, i) => from + i));
  });
});
