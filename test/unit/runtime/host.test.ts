// The actor runtime on one thread: bounded mailboxes, crashes handed to a
// supervisor (here: one that resumes at once), temporary actors, durable state.
import { describe, expect, it } from 'vitest';
import type { ActorContext } from '../../../src/runtime/actor.js';
import { ActorHost } from '../../../src/runtime/host.js';
import { Mailbox } from '../../../src/runtime/mailbox.js';
import type { Message } from '../../../src/runtime/message.js';
import { RestartTracker } from '../../../src/runtime/supervisor.js';
import { until } from '../../helpers/until.js';

describe('Mailbox', () => {
  it('is FIFO, grows as needed, and refuses past its capacity (counted)', () => {
    const mb = new Mailbox(100);
    for (let i = 0; i < 100; i++) expect(mb.push({ type: `m${i}` })).toBe(true);
    expect(mb.push({ type: 'over' })).toBe(false);
    expect(mb.refused).toBe(1);
    expect(mb.maxDepth).toBe(100);
    expect(mb.peek(2).map((m) => m.type)).toEqual(['m0', 'm1']);
    for (let i = 0; i < 100; i++) expect(mb.shift()?.type).toBe(`m${i}`);
    expect(mb.shift()).toBeUndefined();
  });
});

describe('RestartTracker', () => {
  it('backs off, then escalates past maxRestarts within the window', () => {
    const t = new RestartTracker({ maxRestarts: 3, windowMs: 1000, baseBackoffMs: 10, maxBackoffMs: 25 });
    expect(t.onCrash(0)).toEqual({ action: 'restart', delayMs: 10 });
    expect(t.onCrash(1)).toEqual({ action: 'restart', delayMs: 20 });
    expect(t.onCrash(2)).toEqual({ action: 'restart', delayMs: 25 });
    expect(t.onCrash(3).action).toBe('escalate');
  });

  it('forgets crashes older than the window', () => {
    const t = new RestartTracker({ maxRestarts: 1, windowMs: 100, baseBackoffMs: 1, maxBackoffMs: 1 });
    expect(t.onCrash(0).action).toBe('restart');
    expect(t.onCrash(500).action).toBe('restart');
  });
});

/** An actor that counts into durable state and throws on 'boom'. */
function counter(ctx: ActorContext): { receive(m: Message): void } {
  const seen = (ctx.durable.get('seen') as string[] | undefined) ?? [];
  ctx.durable.set('seen', seen);
  return {
    receive(m: Message) {
      if (m.type === 'boom') throw new Error('boom');
      seen.push(m.type);
      if (m.type === 'ask') ctx.send('probe', { type: 'seen', list: [...seen] } as Message);
    },
  };
}

function host(onCrash?: (h: ActorHost, name: string, reason: string) => void): { h: ActorHost; got: Message[] } {
  const got: Message[] = [];
  const h: ActorHost = new ActorHost({
    thread: 'main',
    kinds: { counter },
    onCrash: (name, reason) => (onCrash ? onCrash(h, name, reason) : h.resume(name, `after: ${reason}`)),
  });
  h.registerEndpoint('probe', (m) => got.push(m));
  return { h, got };
}

describe('ActorHost', () => {
  it('restarts a crashed permanent actor with its durable state and its queued messages', async () => {
    const { h, got } = host();
    h.spawn({ name: 'c', kind: 'counter' });
    for (const t of ['a', 'boom', 'b', 'ask']) h.send('c', { type: t });
    await until('answer', () => got.length > 0);
    expect((got[0] as unknown as { list: string[] }).list).toEqual(['a', 'b', 'ask']);
    const st = h.stats().find((s) => s.name === 'c')!;
    expect(st.restarts).toBe(1);
    expect(st.lastError).toBe('boom');
    h.stopAll();
  });

  it('a crashed actor waits for its supervisor: messages queue until resume', async () => {
    const crashes: string[] = [];
    const { h, got } = host((_h, name, reason) => crashes.push(`${name}: ${reason}`));
    h.spawn({ name: 'c', kind: 'counter' });
    h.send('c', { type: 'boom' });
    await until('the crash report', () => crashes.length > 0);
    expect(crashes).toEqual(['c: boom']);
    h.send('c', { type: 'a' });
    h.send('c', { type: 'ask' });
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([]);
    expect(h.mailboxDepth('c')).toBe(2);
    h.resume('c', 'its supervisor says so');
    await until('answer', () => got.length > 0);
    expect((got[0] as unknown as { list: string[] }).list).toEqual(['a', 'ask']);
    expect(h.stats().find((s) => s.name === 'c')!.restarts).toBe(1);
    // suspend ends the instance without a crash; resume is a no-op while one runs.
    h.resume('c', 'already running');
    h.suspend('c');
    h.send('c', { type: 'ask' });
    await new Promise((r) => setImmediate(r));
    expect(got).toHaveLength(1);
    h.resume('c', 'restarted by a sibling');
    await until('second answer', () => got.length > 1);
    expect(h.stats().find((s) => s.name === 'c')!.restarts).toBe(2);
    h.stopAll();
  });

  it('a temporary actor that crashes is stopped and its watchers hear why', async () => {
    const { h } = host();
    const exits: string[] = [];
    h.spawn({ name: 't', kind: 'counter', restart: 'temporary' });
    h.onExit('t', (name, reason) => exits.push(`${name} ${reason}`));
    h.send('t', { type: 'boom' });
    await until('exit', () => exits.length > 0);
    expect(exits).toEqual(['t crashed: boom']);
    expect(h.send('t', { type: 'x' })).toBe(false);
  });

  it('a full mailbox refuses: send returns false', () => {
    const { h } = host();
    h.spawn({ name: 'c', kind: 'counter', mailboxCapacity: 2 });
    expect(h.send('c', { type: 'a' })).toBe(true);
    expect(h.send('c', { type: 'b' })).toBe(true);
    expect(h.send('c', { type: 'c' })).toBe(false);
    expect(h.stats().find((s) => s.name === 'c')!.refused).toBe(1);
    h.stopAll();
  });
});

describe('ctx.defer', () => {
  it('delivers after the drain that deferred and what it queued (microtasks), before the next event-loop turn', async () => {
    const log: string[] = [];
    const host = new ActorHost({
      thread: 'main',
      onCrash: () => {},
      kinds: {
        deferrer: (ctx) => ({
          receive(m: Message) {
            log.push(m.type);
            if (m.type === 'go') {
              // As the UDP transport's flush: a microtask queued in the drain goes first.
              queueMicrotask(() => log.push('flush'));
              setImmediate(() => log.push('next turn'));
              ctx.defer({ type: 'deferred' });
            }
          },
        }),
      },
    });
    host.spawn({ name: 'd', kind: 'deferrer' });
    host.send('d', { type: 'go' });
    host.send('d', { type: 'same drain' });
    await until('the next turn ran', () => log.includes('next turn'));
    expect(log).toEqual(['go', 'same drain', 'flush', 'deferred', 'next turn']);
  });

  it('called outside a drain (an I/O callback), delivers right after it', async () => {
    const log: string[] = [];
    let ctxOf: ActorContext | undefined;
    const host = new ActorHost({
      thread: 'main',
      onCrash: () => {},
      kinds: {
        deferrer: (ctx) => {
          ctxOf = ctx;
          return { receive: (m: Message) => void log.push(m.type) };
        },
      },
    });
    host.spawn({ name: 'd', kind: 'deferrer' });
    setImmediate(() => {
      ctxOf!.defer({ type: 'synced' });
      setImmediate(() => log.push('next turn'));
    });
    await until('the next turn ran', () => log.includes('next turn'));
    expect(log).toEqual(['synced', 'next turn']);
  });
});
