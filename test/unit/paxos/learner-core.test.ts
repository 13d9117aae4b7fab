// LearnerCore (src/actors/paxos/learner-core.ts): counts VOTEs, takes LEARNs,
// reports each decision once, and broadcasts LEARN only for what it learned
// from votes while it is a CAL of the instance.
import { describe, expect, it } from 'vitest';
import { LearnerCore } from '../../../src/actors/paxos/learner-core.js';
import { Cmd, LOCAL_SOURCE, type PaxosMsg } from '../../../src/actors/paxos/types.js';
import { cals, dec, enc } from './harness.js';

const H1 = 'h1:1';
const H2 = 'h2:1';
const vote = (seqn: number, rnd: number, value: string): PaxosMsg => ({ cmd: Cmd.VOTE, seqn, crnd: rnd, vrnd: rnd, value: enc(value) });
const learn = (seqn: number, value: string): PaxosMsg => ({ cmd: Cmd.LEARN, seqn, crnd: 0, vrnd: 0, value: enc(value) });

function core(selfId = 'IDA'): LearnerCore {
  const l = new LearnerCore({ selfId, alpha: 5 });
  for (let s = 1; s <= 5; s++) l.open(s, cals(3));
  return l;
}

describe('LearnerCore', () => {
  it('learns from a quorum of votes (its own, delivered locally, counts as its own CAL) and broadcasts LEARN to the others', () => {
    const l = core();
    l.receive(LOCAL_SOURCE, vote(2, 3, 'v'));
    expect(l.drain().learned).toEqual([]);
    l.receive(H2, vote(2, 3, 'v'));
    const r = l.drain();
    expect(r.learned.map((x) => [x.seqn, dec(x.value)])).toEqual([[2, 'v']]);
    expect(r.sends.map((s) => [[...s.to], s.msg.cmd, s.msg.seqn, dec(s.msg.value)])).toEqual([[[H1, H2], Cmd.LEARN, 2, 'v']]);
  });

  it('learning from LEARN reports the decision but broadcasts nothing', () => {
    const l = core();
    l.receive(H1, learn(3, 'z'));
    const r = l.drain();
    expect(r.learned.map((x) => x.seqn)).toEqual([3]);
    expect(r.sends).toEqual([]);
  });

  it('reports each decision once', () => {
    const l = core();
    l.receive(H1, vote(2, 3, 'v'));
    l.receive(H2, vote(2, 3, 'v'));
    l.receive(LOCAL_SOURCE, vote(2, 3, 'v'));
    l.receive(H1, learn(2, 'v'));
    expect(l.drain().learned.length).toBe(1);
  });

  it('a node that is not a CAL learns from the CALs votes but broadcasts no LEARN', () => {
    const l = core('ZZZ');
    l.receive(H1, vote(2, 3, 'v'));
    l.receive(H2, vote(2, 3, 'v'));
    const r = l.drain();
    expect(r.learned.map((x) => x.seqn)).toEqual([2]);
    expect(r.sends).toEqual([]);
  });

  it('ignores VOTE and LEARN from a sender that is not a CAL of the instance', () => {
    const l = core();
    for (let i = 0; i < 3; i++) l.receive(`evil${i}:1`, vote(2, 3, 'forged'));
    l.receive('evil:1', learn(3, 'forged'));
    l.receive('evil:1', learn(8, 'forged')); // held, then ignored on open
    for (let s = 6; s <= 8; s++) l.open(s, cals(3));
    const r = l.drain();
    expect([r.learned, r.sends, r.used]).toEqual([[], [], 0]);
  });

  it('ignores other commands and bad seqns', () => {
    const l = core();
    for (const cmd of [Cmd.INVITE, Cmd.RSVP, Cmd.NOMINATE, Cmd.TICK, 99]) l.receive(H1, { ...learn(2, 'x'), cmd });
    l.receive(H1, learn(0, 'x'));
    l.receive(H1, learn(-1, 'x'));
    l.receive(H1, learn(2.5, 'x'));
    expect(l.drain().learned).toEqual([]);
    expect(l.inspect().held).toBe(0);
  });

  it('reports the highest seqn a CAL used, once; held votes count', () => {
    const l = core();
    l.receive(H1, vote(3, 1, 'a'));
    expect(l.drain().used).toBe(3);
    l.receive(H1, vote(2, 1, 'a'));
    expect(l.drain().used).toBe(0);
    l.receive(H1, vote(9, 1, 'a'));
    expect(l.drain().used).toBe(9);
    expect(l.inspect().held).toBe(1);
  });

  it('applied() closes the instance and earlier ones: later messages for them are ignored, and they never reopen', () => {
    const l = core();
    l.applied(3);
    l.receive(H1, learn(2, 'late'));
    l.receive(H1, learn(3, 'late'));
    l.open(3, cals(3));
    expect(l.drain().learned).toEqual([]);
    expect(l.inspect()).toMatchObject({ low: 4, applied: 3 });
    l.receive(H1, learn(4, 'x'));
    expect(l.inspect().learnedAhead).toEqual([4]);
  });
});
