// An AcceptorCore restored from its durable snapshot (the acceptor actor moved
// to a fresh thread) keeps every promise and vote of its predecessor, and
// the decisions it answers catch-up INVITEs with.
import { describe, expect, it } from 'vitest';
import { AcceptorCore, Cmd, type Cal, type PaxosMsg } from '../../../src/actors/paxos/index.js';
import { durableClass } from '../../../src/runtime/durable.js';
import '../../../src/actors/durables.js';

const cals: Cal[] = [
  { id: 'A', addr: 'a:1' },
  { id: 'B', addr: 'b:1' },
  { id: 'C', addr: 'c:1' },
];
const msg = (cmd: number, seqn: number, crnd: number, value = ''): PaxosMsg => ({ cmd, seqn, crnd, vrnd: 0, value: Buffer.from(value) });

function fresh(): AcceptorCore {
  const a = new AcceptorCore({ self: cals[0]!, alpha: 50, keep: 200 });
  for (let n = 1; n <= 50; n++) a.open(n, cals);
  return a;
}

describe('restoring an acceptor core', () => {
  it('keeps promises and votes, applied as instances reopen', () => {
    const a = fresh();
    a.receive('b:1', msg(Cmd.INVITE, 10, 4)); // promise round 4 at 10
    a.receive('c:1', msg(Cmd.NOMINATE, 11, 5, 'v11')); // vote round 5 at 11
    a.drain();
    const states = a.states();
    expect(states.find((s) => s.seqn === 10)).toMatchObject({ rnd: 4, vrnd: 0 });
    expect(states.find((s) => s.seqn === 11)).toMatchObject({ rnd: 5, vrnd: 5 });

    // Through the runtime's durable class, as on a worker thread death.
    const cls = durableClass('AcceptorCore');
    const restored = cls.restore!(structuredClone(cls.snapshot!(a))) as AcceptorCore;
    // Before its window opens again, what it must keep is still there.
    expect(restored.states().map((s) => s.seqn).sort((x, y) => x - y)).toEqual([10, 11]);
    for (let n = 1; n <= 50; n++) restored.open(n, cals);

    // A lower INVITE at 10 is refused (no RSVP); the vote at 11 is reported to a higher round.
    restored.receive('b:1', msg(Cmd.INVITE, 10, 3));
    expect(restored.drain().sends.filter((s) => s.msg.cmd === Cmd.RSVP)).toEqual([]);
    restored.receive('b:1', msg(Cmd.INVITE, 11, 7));
    const rsvp = restored.drain().sends.find((s) => s.msg.cmd === Cmd.RSVP && s.msg.seqn === 11)!;
    expect(rsvp.msg.vrnd).toBe(5);
    expect(Buffer.from(rsvp.msg.value).toString()).toBe('v11');
    expect(restored.states().map((s) => s.seqn).sort((x, y) => x - y)).toEqual([10, 11]);
  });

  it('keeps how far the store applied: instances up to it stay closed after the restore', () => {
    const a = fresh();
    a.receive('b:1', msg(Cmd.INVITE, 10, 4));
    for (let s = 1; s <= 12; s++) a.decided(s, Buffer.from(`v${s}`));
    const cls = durableClass('AcceptorCore');
    const restored = cls.restore!(structuredClone(cls.snapshot!(a))) as AcceptorCore;
    expect(restored.inspect().highestDecided).toBe(12);
    expect(restored.states()).toEqual([]); // the promise at 10 was of a decided instance
    for (let n = 1; n <= 60; n++) restored.open(n, cals);
    expect(restored.inspect().low).toBe(13);
    restored.receive('b:1', msg(Cmd.INVITE, 12, 9));
    // A decided instance is not voted on again.
    expect(restored.drain().sends.filter((s) => s.msg.cmd === Cmd.RSVP)).toEqual([]);
  });

  // The snapshot (src/actors/durables.ts) carries the kept decided values
  // along with highestDecided: the acceptor actor resubscribes to the store
  // from its rev, so nothing else would refill them, and after a thread move
  // this node would answer no catch-up INVITE for what was decided before it.
  it('still answers a catch-up INVITE for a decided seqn with LEARN after the restore', () => {
    const a = fresh();
    for (let s = 1; s <= 12; s++) a.decided(s, Buffer.from(`v${s}`));
    const cls = durableClass('AcceptorCore');
    const restored = cls.restore!(structuredClone(cls.snapshot!(a))) as AcceptorCore;
    restored.receive('b:1', msg(Cmd.INVITE, 12, 9));
    const r = restored.drain();
    expect(r.sends.map((s) => [s.to, s.msg.cmd, s.msg.seqn, Buffer.from(s.msg.value).toString()])).toEqual([[['b:1'], Cmd.LEARN, 12, 'v12']]);
  });
});
