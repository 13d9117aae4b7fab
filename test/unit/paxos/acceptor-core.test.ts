// AcceptorCore (src/actors/paxos/acceptor-core.ts): promises and votes over
// the window, replies to peers vs to this node's own roles, the hints it
// gives the proposer, catch-up LEARN for decided seqns, restore().
import { describe, expect, it } from 'vitest';
import { AcceptorCore } from '../../../src/actors/paxos/acceptor-core.js';
import { Cmd, LOCAL_SOURCE, type PaxosMsg } from '../../../src/actors/paxos/types.js';
import { cals, dec, enc } from './harness.js';

const H0 = 'h0:1';
const H1 = 'h1:1';
const H2 = 'h2:1';
const m = (cmd: number, seqn: number, crnd = 0, value = ''): PaxosMsg => ({ cmd, seqn, crnd, vrnd: 0, value: enc(value) });

function core(keep = 10, self = cals(3)[0]!): AcceptorCore {
  const a = new AcceptorCore({ self, alpha: 5, keep });
  for (let s = 1; s <= 5; s++) a.open(s, cals(3));
  a.drain();
  return a;
}
const brief = (sends: { to: readonly string[]; msg: PaxosMsg }[]) => sends.map((s) => [[...s.to], s.msg.cmd, s.msg.seqn, s.msg.crnd, s.msg.vrnd, dec(s.msg.value)]);

describe('AcceptorCore: replies', () => {
  it('answers a peer by datagram and its own proposer locally', () => {
    const a = core();
    a.receive(H1, m(Cmd.INVITE, 2, 4));
    a.receive(LOCAL_SOURCE, m(Cmd.INVITE, 3, 6));
    a.receive(H0, m(Cmd.INVITE, 4, 6)); // its own address: also local
    const r = a.drain();
    expect(brief(r.sends)).toEqual([[[H1], Cmd.RSVP, 2, 4, 0, '']]);
    expect(r.local.map((x) => [x.cmd, x.seqn, x.crnd])).toEqual([
      [Cmd.RSVP, 3, 6],
      [Cmd.RSVP, 4, 6],
    ]);
  });

  it('a vote goes to the other CALs and to its own learner', () => {
    const a = core();
    a.receive(H2, m(Cmd.NOMINATE, 2, 5, 'v'));
    const r = a.drain();
    expect(brief(r.sends)).toEqual([[[H1, H2], Cmd.VOTE, 2, 5, 5, 'v']]);
    expect(r.local.map((x) => [x.cmd, x.seqn, x.vrnd, dec(x.value)])).toEqual([[Cmd.VOTE, 2, 5, 'v']]);
  });

  it('refuses (silently) what Paxos refuses, and what non-CALs send', () => {
    const a = core();
    a.receive(H1, m(Cmd.INVITE, 2, 4));
    a.drain();
    a.receive(H1, m(Cmd.INVITE, 2, 4)); // not above the promise
    a.receive(H2, m(Cmd.NOMINATE, 2, 3, 'low')); // below the promise
    a.receive('evil:1', m(Cmd.INVITE, 3, 9));
    a.receive(H1, m(Cmd.RSVP, 3, 9)); // not an acceptor's message
    a.receive(H1, m(Cmd.VOTE, 3, 9));
    const r = a.drain();
    expect([r.sends, r.local, r.accepted]).toEqual([[], [], []]);
  });

  it('a node that is not a CAL of an instance neither promises nor votes there', () => {
    const a = core(10, { id: 'ZZZ', addr: 'h9:1' });
    a.receive(H1, m(Cmd.INVITE, 2, 4));
    a.receive(H1, m(Cmd.NOMINATE, 3, 4, 'v'));
    const r = a.drain();
    expect([r.sends, r.local, r.accepted, r.used]).toEqual([[], [], [], 0]);
  });
});

describe('AcceptorCore: hints for the proposer', () => {
  it('reports promises above round 1 (the floors of its coordinators), never round 1', () => {
    const a = core();
    a.receive(H1, m(Cmd.NOMINATE, 1, 1, 'fast'));
    expect(a.drain().promised).toEqual([]);
    a.receive(H1, m(Cmd.INVITE, 2, 4));
    a.receive(H2, m(Cmd.NOMINATE, 3, 5, 'v'));
    a.receive(H1, m(Cmd.INVITE, 2, 3)); // refused: nothing new
    expect(a.drain().promised).toEqual([
      [2, 4],
      [3, 5],
    ]);
    expect(a.drain().promised).toEqual([]);
  });

  it('reports the highest seqn a CAL used, once, when it rises; held messages from CALs count', () => {
    const a = core();
    a.receive(H1, m(Cmd.INVITE, 3, 4));
    expect(a.drain().used).toBe(3);
    a.receive(H1, m(Cmd.INVITE, 2, 4));
    expect(a.drain().used).toBe(0);
    a.receive(H1, m(Cmd.INVITE, 8, 4)); // not open: held, but in use
    expect(a.drain().used).toBe(8);
    a.receive('evil:1', m(Cmd.INVITE, 9, 4));
    expect(a.drain().used).toBe(0);
  });
});

describe('AcceptorCore: decided instances (catch-up)', () => {
  it('answers an INVITE for a decided seqn with LEARN to the sender (peer or own proposer); nothing else', () => {
    const a = core();
    a.decided(1, enc('one'));
    a.decided(2, enc('two'));
    a.receive(H2, m(Cmd.INVITE, 2, 7));
    a.receive(LOCAL_SOURCE, m(Cmd.INVITE, 1, 7));
    a.receive(H2, m(Cmd.NOMINATE, 2, 8, 'x'));
    const r = a.drain();
    expect(brief(r.sends)).toEqual([[[H2], Cmd.LEARN, 2, 0, 0, 'two']]);
    expect(r.local.map((x) => [x.cmd, x.seqn, dec(x.value)])).toEqual([[Cmd.LEARN, 1, 'one']]);
    expect(r.accepted).toEqual([]);
  });

  it('decided() closes the instance and every earlier one (promises there are no longer kept)', () => {
    const a = core();
    a.receive(H1, m(Cmd.INVITE, 2, 4));
    a.receive(H1, m(Cmd.INVITE, 4, 4));
    a.decided(3, enc('three'));
    expect(a.states().map((s) => s.seqn)).toEqual([4]);
    expect(a.inspect()).toMatchObject({ low: 4, highestDecided: 3 });
    a.drain();
    a.receive(H1, m(Cmd.INVITE, 2, 9)); // decided by the jump to 3, value unknown here: no answer
    expect(a.drain().sends).toEqual([]);
  });

  it('a snapshot decision (no value) closes instances but gives no answer', () => {
    const a = core();
    a.decided(4);
    a.receive(H1, m(Cmd.INVITE, 4, 9));
    expect(a.drain().sends).toEqual([]);
    a.open(4, cals(3)); // never reopens
    expect(a.inspect().low).toBe(5);
  });

  it('keeps the last `keep` decided values', () => {
    const a = core(3);
    for (let s = 1; s <= 6; s++) a.decided(s, enc(`v${s}`));
    for (let s = 1; s <= 6; s++) a.receive(H1, m(Cmd.INVITE, s, 9));
    expect(a.drain().sends.map((s) => dec(s.msg.value))).toEqual(['v4', 'v5', 'v6']);
  });
});

describe('AcceptorCore: restore', () => {
  it('applies restored promises and votes as their instances open; reports the highest as in use and every restored promise (round 1 too)', () => {
    const a = new AcceptorCore({ self: cals(3)[0]!, alpha: 5, keep: 10 });
    a.restore([
      { seqn: 2, rnd: 4, vrnd: 0, vval: new Uint8Array() },
      { seqn: 3, rnd: 1, vrnd: 1, vval: enc('fast') },
    ]);
    expect(a.states().map((s) => [s.seqn, s.rnd])).toEqual([
      [2, 4],
      [3, 1],
    ]);
    const r0 = a.drain();
    expect(r0.used).toBe(3);
    // Round 1 too: a coordinator of ours must skip the fast path where this acceptor already voted.
    expect(r0.promised).toEqual([
      [2, 4],
      [3, 1],
    ]);
    for (let s = 1; s <= 5; s++) a.open(s, cals(3));
    a.receive(H1, m(Cmd.INVITE, 2, 4)); // not above the restored promise
    a.receive(H1, m(Cmd.INVITE, 3, 7));
    const r = a.drain();
    expect(brief(r.sends)).toEqual([[[H1], Cmd.RSVP, 3, 7, 1, 'fast']]);
    expect(a.states().map((s) => [s.seqn, s.rnd, s.vrnd])).toEqual([
      [2, 4, 0],
      [3, 7, 1],
    ]);
  });

  it('ignores restored states of instances already decided, and drops waiting ones when decided', () => {
    const a = new AcceptorCore({ self: cals(3)[0]!, alpha: 5, keep: 10 });
    a.decided(2, enc('x'));
    a.restore([
      { seqn: 1, rnd: 4, vrnd: 0, vval: new Uint8Array() },
      { seqn: 4, rnd: 4, vrnd: 0, vval: new Uint8Array() },
    ]);
    expect(a.states().map((s) => s.seqn)).toEqual([4]);
    a.decided(4, enc('y'));
    expect(a.states()).toEqual([]);
  });
});
