// Who gets a LEARN (learner-core.ts): CALs known to run this implementation
// learn from the VOTEs and get none; original nodes get it as the spec says.
// And how one of ours that missed the votes of a decision learns it anyway:
// its proposer fills the lowest undecided instance missedFillMs after a
// later one is decided there (proposer-core.ts), and its peers answer that
// INVITE with the voted value (RSVP) or with LEARN once their store has it.
import { describe, expect, it } from 'vitest';
import { CalConfig } from '../../../src/actors/paxos/cals.js';
import { LearnerCore } from '../../../src/actors/paxos/learner-core.js';
import { Cmd, type Cal, type PaxosMsg } from '../../../src/actors/paxos/types.js';
import { cals, enc, TestNet, type Packet } from './harness.js';

const H0 = 'h0:1';
const H1 = 'h1:1';
const H2 = 'h2:1';
const E = new Uint8Array();
const m = (cmd: number, seqn: number, crnd = 0, vrnd = 0, value: Uint8Array = E): PaxosMsg => ({ cmd, seqn, crnd, vrnd, value });

/** cals(3) with the ours flags given (IDA h0, IDB h1, IDC h2). */
function withOurs(...ours: boolean[]): Cal[] {
  return cals(ours.length).map((c, i) => ({ ...c, ours: ours[i]! }));
}

function learnTargets(core: LearnerCore): string[] {
  return core.drain().sends.filter((s) => s.msg.cmd === Cmd.LEARN).flatMap((s) => [...s.to]).sort();
}

describe('LEARN goes only to CALs not known to be ours', () => {
  it('among our nodes a decision learned from votes sends no LEARN', () => {
    const core = new LearnerCore({ selfId: 'IDA', alpha: 50 });
    core.open(1, withOurs(true, true, true));
    core.receive(H1, m(Cmd.VOTE, 1, 1, 1, enc('v')));
    core.receive(H2, m(Cmd.VOTE, 1, 1, 1, enc('v')));
    const r = core.drain();
    expect(r.learned.map((l) => l.seqn)).toEqual([1]);
    expect(r.sends).toEqual([]);
  });

  it('an original node (or one whose version is not known as ours) still gets it', () => {
    const core = new LearnerCore({ selfId: 'IDA', alpha: 50 });
    core.open(1, withOurs(true, true, false));
    core.open(2, cals(3)); // no flags at all: nobody known to be ours
    for (const s of [1, 2]) {
      core.receive(H1, m(Cmd.VOTE, s, 1, 1, enc('v')));
      core.receive(H2, m(Cmd.VOTE, s, 1, 1, enc('v')));
    }
    const sends = core.drain().sends;
    expect(sends.map((s) => [s.msg.cmd, s.msg.seqn, [...s.to].sort()])).toEqual([
      [Cmd.LEARN, 1, [H2]],
      [Cmd.LEARN, 2, [H1, H2]],
    ]);
    // The LEARN carries the whole value, as the spec has it (originals read it).
    expect(sends[0]!.msg.value).toEqual(enc('v'));
  });

  it('learnToOurs keeps the old rule (every other CAL)', () => {
    const core = new LearnerCore({ selfId: 'IDA', alpha: 50, learnToOurs: true });
    core.open(1, withOurs(true, true, true));
    core.receive(H1, m(Cmd.VOTE, 1, 1, 1, enc('v')));
    core.receive(H2, m(Cmd.VOTE, 1, 1, 1, enc('v')));
    expect(learnTargets(core)).toEqual([H1, H2]);
  });

  it('a list whose ours flags changed is a new CAL config (a node of ours replacing an original at the same address)', () => {
    const a = new CalConfig(withOurs(true, true, false), 'IDA');
    expect(a.learnTo).toEqual([H2]);
    expect(a.sameAs(withOurs(true, true, false))).toBe(true);
    expect(a.sameAs(withOurs(true, true, true))).toBe(false);
    expect(new CalConfig(withOurs(true, true, true), 'IDA').learnTo).toEqual([]);
    const core = new LearnerCore({ selfId: 'IDA', alpha: 50 });
    core.open(1, withOurs(true, true, false));
    core.open(2, withOurs(true, true, true));
    for (const s of [1, 2]) {
      core.receive(H1, m(Cmd.VOTE, s, 1, 1, enc('v')));
      core.receive(H2, m(Cmd.VOTE, s, 1, 1, enc('v')));
    }
    expect(core.drain().sends.map((s) => [s.msg.seqn, [...s.to]])).toEqual([[1, [H2]]]);
  });
});

describe('a node of ours that missed the votes learns the instance promptly', () => {
  /** Three nodes of ours, seqns 1..20 open; the fill delay is left at 100 ms. */
  function cluster(): TestNet {
    const net = new TestNet(withOurs(true, true, true));
    net.open(1, 20);
    return net;
  }
  /** What h2 misses of seqn 1: the NOMINATE (so it casts no vote) and h0's VOTE. It has h1's vote only. */
  const lost = (p: Packet): boolean => p.to === H2 && p.msg.seqn === 1 && (p.msg.cmd === Cmd.NOMINATE || (p.msg.cmd === Cmd.VOTE && p.from === H0));

  it('no LEARN is sent between them, and h2 fills the instance missedFillMs after a later one is decided, not after the fill delay', () => {
    const net = cluster();
    const id = net.propose(H1, '-1:/a=1'); // h1 leads seqn 1
    const packets = net.run(lost);
    expect(packets.some((p) => p.msg.cmd === Cmd.LEARN)).toBe(false);
    expect(net.written.get(H1)).toEqual([{ id, seqn: 1 }]);
    expect(net.values(H0).get(1)).toBe('-1:/a=1');
    // h2 has the next rotation (2 and 3, filled at once) but not 1.
    expect(net.values(H2).get(1)).toBeUndefined();
    expect(net.values(H2).get(2)).toBe('nop:');
    expect(net.wake.get(H2)).toBeLessThanOrEqual(20);
    net.tick(H2, 20);
    const invites = net.queue.filter((p) => p.msg.cmd === Cmd.INVITE && p.msg.seqn === 1);
    expect(invites.map((p) => p.to).sort()).toEqual([H0, H1]);
    expect(invites.every((p) => p.msg.crnd > 1)).toBe(true);
    net.run();
    // The voted value came back in the RSVPs, and h2's round chose it again.
    expect(net.values(H2).get(1)).toBe('-1:/a=1');
    for (const a of [H0, H1, H2]) expect(net.values(a).get(1)).toBe('-1:/a=1');
  });

  it('when its peers have applied the instance, they answer the fill with LEARN', () => {
    const net = cluster();
    net.propose(H1, '-1:/a=1');
    net.run(lost);
    for (const a of [H0, H1]) expect(net.storeApply(a)).toBeGreaterThanOrEqual(1);
    net.tick(H2, 20);
    const answers = net.run();
    expect(answers.filter((p) => p.to === H2 && p.msg.cmd === Cmd.LEARN && p.msg.seqn === 1).length).toBeGreaterThan(0);
    expect(net.values(H2).get(1)).toBe('-1:/a=1');
    expect(net.storeApply(H2)).toBeGreaterThanOrEqual(3);
  });

  it('without a later decision the fill delay still bounds it (a node that saw the instance in use)', () => {
    const net = new TestNet(withOurs(true, true, true), { idleLeaderFill: false });
    net.open(1, 20);
    net.propose(H1, '-1:/a=1');
    net.run(lost);
    expect(net.values(H2).get(1)).toBeUndefined();
    expect(net.wake.get(H2)).toBe(100);
    net.tick(H2, 100);
    net.run();
    expect(net.values(H2).get(1)).toBe('-1:/a=1');
  });

  it('with peers that are all original nodes (they send LEARN) the fill delay applies as before', () => {
    const net = new TestNet(withOurs(false, false, false));
    net.open(1, 20);
    net.propose(H1, '-1:/a=1');
    // The LEARNs are lost too here: only the fill can tell h2.
    net.run((p) => lost(p) || (p.to === H2 && p.msg.cmd === Cmd.LEARN && p.msg.seqn === 1));
    expect(net.values(H2).get(1)).toBeUndefined();
    expect(net.values(H2).get(2)).toBe('nop:');
    expect(net.wake.get(H2)).toBeGreaterThan(20);
  });

  it('a decision that is only out of order (the votes still on their way) costs no fill if they arrive in time', () => {
    const net = cluster();
    net.propose(H1, '-1:/a=1');
    // Hold back everything for h2 about seqn 1, deliver the rest.
    const held: Packet[] = [];
    net.run((p) => {
      if (p.to === H2 && p.msg.seqn === 1) {
        held.push(p);
        return true;
      }
      return false;
    });
    expect(net.values(H2).get(2)).toBe('nop:');
    net.now = 10;
    for (const p of held) net.receive(H2, p.from, p.msg);
    net.run();
    expect(net.values(H2).get(1)).toBe('-1:/a=1');
    net.tick(H2, 20);
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.INVITE && p.msg.seqn === 1)).toEqual([]);
  });
});
