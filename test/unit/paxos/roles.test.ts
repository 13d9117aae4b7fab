import { describe, expect, it } from 'vitest';
import { Acceptor } from '../../../src/actors/paxos/acceptor.js';
import { Coordinator, nextOwnRound } from '../../../src/actors/paxos/coordinator.js';
import { Learner } from '../../../src/actors/paxos/learner.js';
import { Cmd } from '../../../src/actors/paxos/types.js';

const A = new Uint8Array([65]);
const B = new Uint8Array([66]);
const timing = { initialBoundMs: 1, maxBoundMs: 1000, fastTimeoutMs: 5 };
const half = () => 0.5;

describe('acceptor', () => {
  it('promises only rounds above its promise', () => {
    const a = new Acceptor();
    expect(a.invite(4)).toBe(true);
    expect(a.rnd).toBe(4);
    expect(a.invite(4)).toBe(false);
    expect(a.invite(3)).toBe(false);
    expect(a.rnd).toBe(4);
    expect(a.invite(7)).toBe(true);
    expect(a.rnd).toBe(7);
  });

  it('votes for a nomination at or above its promise, once per round', () => {
    const a = new Acceptor();
    a.invite(5);
    expect(a.nominate(4, A)).toBe(false); // below the promise
    expect(a.vrnd).toBe(0);
    expect(a.nominate(5, A)).toBe(true);
    expect([a.rnd, a.vrnd, a.vval]).toEqual([5, 5, A]);
    expect(a.nominate(5, B)).toBe(false); // crnd == vrnd: no second vote in a round
    expect(a.vval).toBe(A);
    expect(a.nominate(8, B)).toBe(true); // higher round, no promise needed
    expect([a.rnd, a.vrnd, a.vval]).toEqual([8, 8, B]);
  });

  it('accepts the round-1 fast nomination only while nothing higher is promised', () => {
    const fresh = new Acceptor();
    expect(fresh.nominate(1, A)).toBe(true);
    const promised = new Acceptor();
    promised.invite(3);
    expect(promised.nominate(1, A)).toBe(false);
  });

  it('reports its last vote after a later promise', () => {
    const a = new Acceptor();
    a.nominate(1, A);
    expect(a.invite(4)).toBe(true);
    expect([a.vrnd, a.vval]).toEqual([1, A]);
  });
});

describe('learner', () => {
  it('learns on a quorum of votes, one per sender', () => {
    const l = new Learner(5, 3);
    expect(l.vote(0, 2, A)).toBeNull();
    expect(l.vote(0, 2, A)).toBeNull(); // duplicate from the same CAL
    expect(l.vote(0, 2, A)).toBeNull();
    expect(l.vote(1, 2, A)).toBeNull();
    expect(l.count).toBe(2);
    expect(l.vote(3, 2, A)).toBe(A);
    expect(l.value).toBe(A);
    expect(l.vote(4, 2, A)).toBeNull(); // already learned: reported once
  });

  it('resets the count on a higher round and ignores lower rounds', () => {
    const l = new Learner(3, 2);
    expect(l.vote(0, 1, A)).toBeNull();
    expect(l.vote(1, 4, B)).toBeNull(); // higher round: count restarts with this vote
    expect(l.count).toBe(1);
    expect(l.vote(2, 1, A)).toBeNull(); // lower round ignored
    expect(l.value).toBeNull();
    expect(l.vote(0, 4, B)).toBe(B);
  });

  it('ignores a vote whose value disagrees with its round', () => {
    const l = new Learner(3, 2);
    l.vote(0, 3, A);
    expect(l.vote(1, 3, B)).toBeNull();
    expect(l.value).toBeNull();
    expect(l.vote(2, 3, A)).toBe(A);
  });

  it('ignores senders outside the CAL list and round 0', () => {
    const l = new Learner(3, 2);
    expect(l.vote(-1, 3, A)).toBeNull();
    expect(l.vote(3, 3, A)).toBeNull();
    expect(l.vote(0, 0, A)).toBeNull();
    expect(l.count).toBe(0);
  });

  it('accepts LEARN directly, once', () => {
    const l = new Learner(3, 2);
    expect(l.learn(B)).toBe(B);
    expect(l.learn(A)).toBeNull();
    expect(l.value).toBe(B);
  });
});

describe('coordinator', () => {
  it('owns rounds i+k, i+2k, ... and never uses round 1 as a normal round', () => {
    expect(nextOwnRound(0, 3, 0)).toBe(3);
    expect(nextOwnRound(2, 3, 0)).toBe(5);
    expect(nextOwnRound(1, 3, 4)).toBe(7);
    expect(nextOwnRound(1, 3, 7)).toBe(10);
    expect(nextOwnRound(0, 3, 5)).toBe(6);
    expect(nextOwnRound(0, 1, 0)).toBe(2); // k = 1: round 1 is the fast round only
    expect(nextOwnRound(0, 1, 2)).toBe(3);
    for (let k = 1; k <= 7; k++) {
      for (let i = 0; i < k; i++) {
        for (let above = 0; above < 40; above++) {
          const r = nextOwnRound(i, k, above);
          expect(r).toBeGreaterThan(above);
          expect(r).toBeGreaterThanOrEqual(k);
          expect(r % k).toBe(i % k);
          expect(r).not.toBe(1);
          const prev = r - k;
          expect(prev <= above || prev < k || prev === 1).toBe(true); // smallest such round
        }
      }
    }
  });

  it('invites, then nominates its own value on a quorum of empty RSVPs', () => {
    const c = new Coordinator(1, 3, 2, timing);
    const inv = c.propose(9, A, false, 0, 100, half)!;
    expect(inv).toMatchObject({ cmd: Cmd.INVITE, seqn: 9, crnd: 4 });
    expect(c.rsvp(9, 0, 4, 0, new Uint8Array())).toBeNull();
    expect(c.rsvp(9, 0, 4, 0, new Uint8Array())).toBeNull(); // same CAL twice: one RSVP
    expect(c.rsvp(9, 2, 7, 0, new Uint8Array())).toBeNull(); // another round
    const nom = c.rsvp(9, 2, 4, 0, new Uint8Array())!;
    expect(nom).toMatchObject({ cmd: Cmd.NOMINATE, seqn: 9, crnd: 4, value: A });
    expect(c.rsvp(9, 1, 4, 0, new Uint8Array())).toBeNull(); // already nominated
  });

  it('nominates the value of the highest vrnd reported', () => {
    const c = new Coordinator(2, 5, 3, timing);
    c.propose(3, A, false, 0, 0, half);
    expect(c.crnd).toBe(7);
    c.rsvp(3, 0, 7, 1, B);
    c.rsvp(3, 1, 7, 5, new Uint8Array([67]));
    const nom = c.rsvp(3, 3, 7, 0, new Uint8Array())!;
    expect(nom.value).toEqual(new Uint8Array([67]));
  });

  it('starts its first round above what its acceptor has seen', () => {
    const c = new Coordinator(0, 3, 2, timing);
    const inv = c.propose(1, A, false, 10, 0, half)!;
    expect(inv.crnd).toBe(12);
  });

  it('moves to its next round on tick, the bound doubling up to the cap', () => {
    const c = new Coordinator(0, 3, 2, { initialBoundMs: 1, maxBoundMs: 4, fastTimeoutMs: 5 });
    const one = () => 0.999;
    c.propose(1, A, false, 0, 0, one);
    expect(c.crnd).toBe(3);
    expect(c.tickAt).toBeCloseTo(0.999);
    expect(c.tick(1, 0, 0.5, one)).toBeNull(); // not yet
    const r2 = c.tick(1, 0, 1, one)!;
    expect(r2).toMatchObject({ cmd: Cmd.INVITE, crnd: 6 });
    expect(c.bound).toBe(2);
    c.tick(1, 0, 10, one);
    expect(c.bound).toBe(4);
    c.tick(1, 20, 20, one); // its acceptor saw round 20: jump above it
    expect(c.crnd).toBe(21);
    expect(c.bound).toBe(4); // capped
    c.stop();
    expect(c.tickAt).toBe(Infinity);
  });

  it('fast path: the leader nominates in round 1 without INVITE', () => {
    const c = new Coordinator(1, 3, 2, timing);
    const m = c.propose(4, A, true, 0, 50, half)!;
    expect(m).toMatchObject({ cmd: Cmd.NOMINATE, seqn: 4, crnd: 1, value: A });
    expect(c.tickAt).toBe(55);
    expect(c.propose(4, B, true, 0, 51, half)).toBeNull(); // one proposal per instance
  });

  it('fast path falls back to INVITE of its own round on timeout, with its value', () => {
    const c = new Coordinator(1, 3, 2, timing);
    c.propose(4, A, true, 0, 0, half);
    const inv = c.tick(4, 9, 5, half)!; // acceptors promised 9 meanwhile
    expect(inv).toMatchObject({ cmd: Cmd.INVITE, crnd: 10 });
    expect(c.bound).toBe(1); // first INVITE uses the initial bound
    const nom = c.rsvp(4, 0, 10, 0, new Uint8Array())!;
    expect(nom).toBeNull();
    expect(c.rsvp(4, 2, 10, 0, new Uint8Array())!.value).toBe(A);
  });

  it('skips the fast path once its acceptor promised any round', () => {
    const c = new Coordinator(1, 3, 2, timing);
    const m = c.propose(4, A, true, 3, 0, half)!;
    expect(m).toMatchObject({ cmd: Cmd.INVITE, crnd: 4 });
  });
});
