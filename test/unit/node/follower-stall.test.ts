// The follower leaves a CAL whose connection went silent without closing:
// reset on the CAL's side only (iptables tcp-reset, a CAL killed behind a
// firewall that swallows its FIN), dropped segments, a paused CAL. TCP tells
// an end that sends nothing nothing, and a follower with every WAIT in
// flight sends nothing; found by the torture run's TCP faults.
import { afterEach, describe, expect, it } from 'vitest';
import { Follower } from '../../../src/node/follower.js';
import type { FollowerMessage } from '../../../src/actors/follower-messages.js';
import type { ActorSystem } from '../../../src/runtime/system.js';
import type { Message } from '../../../src/runtime/message.js';
import { ErrCode, FLAG_SET, Verb } from '../../../src/wire/client-codec.js';
import { startFakeServer, type FakeServer } from '../client/fake-server.js';
import { DEADLINE } from '../../helpers/deadlines.js';
import { until } from '../../helpers/until.js';

/** Just enough of an actor system: the follower's endpoint, and what it sends the store. */
function fakeSystem(): { system: ActorSystem; applied: number[]; deliver: (m: FollowerMessage) => void } {
  const applied: number[] = [];
  const box: { deliver: (m: Message) => void } = { deliver: () => undefined };
  const system = {
    registerEndpoint: (_name: string, fn: (m: Message) => void) => {
      box.deliver = fn;
      return () => undefined;
    },
    send: (_to: string, m: Message) => {
      const a = m as { type: string; seqn?: number };
      if (a.type === 'apply' && a.seqn !== undefined) applied.push(a.seqn);
    },
  } as unknown as ActorSystem;
  return { system, applied, deliver: (m) => box.deliver(m as unknown as Message) };
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A CAL at rev `head` that answers WAITs for revs it holds; `silent()` makes it stop answering anything, connection kept open. */
async function fakeCal(head: number): Promise<FakeServer & { silent(): void }> {
  let mute = false;
  const s = await startFakeServer((req, conn) => {
    if (mute) return;
    if (req.verb === Verb.WAIT && (req.rev ?? 0) <= head) {
      conn.reply({ tag: req.tag, path: '/x', rev: req.rev, value: Buffer.from(`v${req.rev}`), flags: FLAG_SET });
    } else if (req.verb === Verb.REV) {
      conn.reply({ tag: req.tag, rev: head });
    } else if (req.verb !== Verb.WAIT) {
      conn.reply({ tag: req.tag, errCode: ErrCode.OTHER, errDetail: 'not in this fake' });
    }
  });
  cleanup.push(() => s.close());
  return Object.assign(s, { silent: () => void (mute = true) });
}

/**
 * A follower told to follow two fake CALs from rev 0, at revs `headA` and
 * `headB` (it tries `a` first); it probes a CAL quiet for `idleProbeMs` and
 * gives up on one that does not answer the probe within 500 ms.
 */
async function followTwo(headA: number, headB: number, idleProbeMs: number) {
  const a = await fakeCal(headA);
  const b = await fakeCal(headB);
  const { system, applied, deliver } = fakeSystem();
  const f = new Follower({ system, idleProbeMs, probeTimeoutMs: 500 });
  cleanup.push(() => f.close());
  deliver({ type: 'follow', fromRev: 0, until: Infinity, cals: [a.address, b.address] });
  return { a, b, applied };
}

describe('follower: a CAL gone silent without closing', () => {
  it('is probed, given up, and another CAL followed from the first missing rev', async () => {
    const { a, b, applied } = await followTwo(5, 8, 200);
    await until('revs 1-5 copied from the first CAL', () => applied.length === 5, DEADLINE.local);
    // The first CAL goes silent: it answers neither the WAITs in flight nor a probe.
    a.silent();
    await until('revs 6-8 copied from the second CAL', () => applied.length === 8, DEADLINE.local);
    expect(applied).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(b.requests.some((r) => r.verb === Verb.WAIT && r.rev === 6)).toBe(true);
  });

  it('stays with an idle CAL that answers its probes', async () => {
    const { a, b, applied } = await followTwo(3, 3, 100);
    await until('revs 1-3 copied', () => applied.length === 3, DEADLINE.local);
    await until('a few probes answered', () => a.requests.filter((r) => r.verb === Verb.REV).length >= 3, DEADLINE.local);
    expect(b.connections.length).toBe(0);
  });
});
