// One node = AcceptorCore + LearnerCore + ProposerCore wired as the role
// actors wire them (harness.ts); several nodes on a synchronous test network.
// What used to be checked on the single Manager, now through the three roles.
import { describe, expect, it } from 'vitest';
import { LearnerCore } from '../../../src/actors/paxos/learner-core.js';
import { ProposerCore } from '../../../src/actors/paxos/proposer-core.js';
import { AcceptorCore } from '../../../src/actors/paxos/acceptor-core.js';
import { Cmd, type PaxosMsg } from '../../../src/actors/paxos/types.js';
import { cals, dec, enc, TestNet } from './harness.js';

// cals(3): IDA at h0:1, IDB at h1:1, IDC at h2:1; the leader of seqn s is h(s mod 3).
const H0 = 'h0:1';
const H1 = 'h1:1';
const H2 = 'h2:1';
const E = new Uint8Array();
const m = (cmd: number, seqn: number, crnd = 0, vrnd = 0, value: Uint8Array = E): PaxosMsg => ({ cmd, seqn, crnd, vrnd, value });

function cluster3(opts = {}): TestNet {
  const net = new TestNet(cals(3), opts);
  net.open(1, 20);
  return net;
}

describe('node cores: writes', () => {
  it("the leader's first proposal takes one round trip: NOMINATE in round 1, no INVITE", () => {
    const net = cluster3();
    const id = net.propose(H1, '-1:/a=1'); // h1 leads seqn 1
    // NOMINATE(1) to the two others, and the leader's own vote (its acceptor got the NOMINATE locally).
    expect(net.queue.map((p) => [p.msg.cmd, p.msg.seqn, p.msg.crnd, p.to])).toEqual([
      [Cmd.NOMINATE, 1, 1, H0],
      [Cmd.NOMINATE, 1, 1, H2],
      [Cmd.VOTE, 1, 1, H0],
      [Cmd.VOTE, 1, 1, H2],
    ]);
    const packets = net.run();
    expect(packets.some((p) => p.msg.cmd === Cmd.INVITE)).toBe(false);
    // The write, and the next rotation (2: h2, 3: h0) filled by the idle CALs as soon as they saw it: h1's next write, at 4, waits for no fill.
    for (const a of [H0, H1, H2]) expect(net.values(a)).toEqual(new Map([[1, '-1:/a=1'], [2, 'nop:'], [3, 'nop:']]));
    expect(net.written.get(H1)).toEqual([{ id, seqn: 1 }]);
    // Each CAL reports each decision once.
    for (const a of [H0, H1, H2]) expect(net.learned.get(a)!.map((l) => l.seqn).sort()).toEqual([1, 2, 3]);
  });

  it('a write goes to the next instance its node leads; idle leaders fill earlier ones at once', () => {
    const net = cluster3();
    const id = net.propose(H0, '-1:/b=2'); // h0 leads 3, 6, ...
    net.run();
    for (const a of [H0, H1, H2]) {
      expect(net.values(a)).toEqual(
        new Map([
          [1, 'nop:'],
          [2, 'nop:'],
          [3, '-1:/b=2'],
          // The next rotation after a write (h1 leads 4, h2 leads 5), filled at once.
          [4, 'nop:'],
          [5, 'nop:'],
        ]),
      );
    }
    expect(net.written.get(H0)).toEqual([{ id, seqn: 3 }]);
    // Nothing above that is touched (a no-op starts no rotation): an idle cluster stays idle.
    for (const a of [H0, H1, H2]) expect(net.learned.get(a)!.every((l) => l.seqn <= 5)).toBe(true);
  });

  it('consecutive writes of one node take its consecutive led instances', () => {
    const net = cluster3();
    const a = net.propose(H2, 'x1'); // h2 leads 2, 5, 8
    const b = net.propose(H2, 'x2');
    const c = net.propose(H2, 'x3');
    net.run();
    expect(net.written.get(H2)).toEqual([
      { id: a, seqn: 2 },
      { id: b, seqn: 5 },
      { id: c, seqn: 8 },
    ]);
    const v = net.values(H0);
    for (let s = 1; s <= 8; s++) expect(v.has(s)).toBe(true);
  });

  it('a write that loses is retried at the next led instance, and reports that seqn', () => {
    const net = cluster3();
    const id = net.propose(H0, 'w'); // at 3
    net.queue = []; // all lost
    net.receive(H0, H1, m(Cmd.LEARN, 3, 0, 0, enc('nop:'))); // 3 was filled by someone else
    expect(net.written.get(H0)).toEqual([]);
    // Retried at once at 6, h0's next led instance, with the fast path.
    expect(
      net.queue.filter((p) => p.msg.cmd === Cmd.NOMINATE).map((p) => [p.msg.seqn, p.msg.crnd, dec(p.msg.value)]),
    ).toEqual([
      [6, 1, 'w'],
      [6, 1, 'w'],
    ]);
    net.run();
    expect(net.written.get(H0)).toEqual([{ id, seqn: 6 }]);
    expect(net.values(H1).get(6)).toBe('w');
  });

  it('duplicated delivery changes nothing', () => {
    const net = cluster3();
    net.propose(H0, 'd');
    // Deliver every packet twice.
    while (net.queue.length > 0) {
      const p = net.queue.shift()!;
      for (let i = 0; i < 2; i++) net.receive(p.to, p.from, p.msg);
    }
    for (const a of [H0, H1, H2]) {
      const seqns = net.learned.get(a)!.map((l) => l.seqn);
      expect(new Set(seqns).size).toBe(seqns.length);
      expect(net.values(a).get(3)).toBe('d');
    }
    expect(net.written.get(H0)!.length).toBe(1);
  });

  it('a write whose instance the store applies with its value is written, even if the learner never learned it', () => {
    const net = cluster3({ alpha: 5 });
    const id = net.propose(H0, 'w'); // at 3
    net.queue = [];
    for (let s = 1; s <= 3; s++) net.storeApplyValue(H0, s, s === 3 ? 'w' : 'nop:');
    expect(net.values(H0).size).toBe(0);
    expect(net.written.get(H0)).toEqual([{ id, seqn: 3 }]);
    // and the store's decision broadcasts nothing (only the learner's own LEARN does)
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.LEARN)).toEqual([]);
  });

  it('a write whose instance the store skipped (snapshot) is reported unknown, not written and not retried', () => {
    const net = cluster3({ alpha: 5 });
    const id = net.propose(H0, 'w'); // at 3
    net.queue = [];
    net.storeSkip(H0, 4);
    expect(net.written.get(H0)).toEqual([]);
    expect(net.unknown.get(H0)).toEqual([id]);
    expect(net.node(H0).proposer.pendingWrites()).toEqual([]);
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.NOMINATE && dec(p.msg.value) === 'w')).toEqual([]);
  });
});

describe('node cores: round-1 fast path fallback', () => {
  it('falls back to INVITE with its own round when acceptors promised higher', () => {
    const net = cluster3();
    // h0 invited round 3 at seqn 1: h0 and h2 promised 3 (h1, the leader, did not hear it).
    net.receive(H0, H0, m(Cmd.INVITE, 1, 3));
    net.receive(H2, H0, m(Cmd.INVITE, 1, 3));
    net.queue = [];
    const id = net.propose(H1, 'v');
    const first = net.run();
    expect(first.filter((p) => p.msg.cmd === Cmd.NOMINATE).every((p) => p.msg.crnd === 1)).toBe(true);
    expect(first.some((p) => p.msg.cmd === Cmd.VOTE && p.from !== H1)).toBe(false); // both refused round 1
    expect(net.values(H1).size).toBe(0);
    // Not before its timeout (20 ms)...
    net.tick(H1, 19);
    expect(net.queue).toEqual([]);
    // ... then INVITE in round 4 (h1 is index 1 of 3), and the value goes through.
    net.tick(H1, 20);
    expect(net.queue.map((p) => [p.msg.cmd, p.msg.crnd])).toEqual([
      [Cmd.INVITE, 4],
      [Cmd.INVITE, 4],
    ]);
    net.run();
    for (const a of [H0, H1, H2]) expect(net.values(a).get(1)).toBe('v');
    expect(net.written.get(H1)).toEqual([{ id, seqn: 1 }]);
  });

  it("a coordinator starts above its own acceptor's promise (the promised floor reaches the proposer)", () => {
    const net = cluster3();
    // h0 invites round 9 at 1, led by h1: h1's acceptor promises 9 (RSVP to h0) and
    // reports the floor; the INVITE shows 1 in use, so h1 fills its own idle 1
    // at once, not by the fast path (it promised a round) but by INVITE in its
    // first own round above 9 (h1 is index 1 of 3): 10.
    net.receive(H1, H0, m(Cmd.INVITE, 1, 9));
    expect(net.queue.map((p) => [p.to, p.msg.cmd, p.msg.seqn, p.msg.crnd])).toEqual([
      [H0, Cmd.RSVP, 1, 9],
      [H0, Cmd.INVITE, 1, 10],
      [H2, Cmd.INVITE, 1, 10],
    ]);
  });

  it('re-proposes a value voted in round 1 when a later round finds it', () => {
    const net = cluster3();
    net.propose(H1, 'fast'); // NOMINATE(1) at seqn 1
    // Only h2 gets the nomination; its vote reaches nobody.
    net.queue = net.queue.filter((p) => p.to === H2);
    net.run((p) => p.msg.cmd === Cmd.VOTE);
    // h0 fills seqn 1 after the fill delay: it must find 'fast' and choose it, not nop.
    net.receive(H0, H2, m(Cmd.VOTE, 2, 1, 1, enc('other'))); // some later use, so h0 schedules fills
    net.tick(H0, 100);
    const invites = net.queue.filter((p) => p.msg.cmd === Cmd.INVITE && p.msg.seqn === 1);
    expect(invites.length).toBe(2);
    expect(invites[0]!.msg.crnd).toBe(3);
    net.run();
    for (const a of [H0, H1, H2]) expect(net.values(a).get(1)).toBe('fast');
  });

  it('retries with a higher round on each tick while no quorum answers', () => {
    const net = cluster3();
    net.receive(H0, H2, m(Cmd.VOTE, 2, 1, 1, enc('x'))); // 1 and 2 in use: fills due at 100
    net.queue = [];
    net.tick(H0, 100);
    const round = (s: number) => net.queue.filter((p) => p.msg.cmd === Cmd.INVITE && p.msg.seqn === s).map((p) => p.msg.crnd);
    expect(round(1)).toEqual([3, 3]);
    net.queue = []; // lost
    net.tick(H0, net.wake.get(H0)!);
    expect(round(1)).toEqual([6, 6]);
    net.queue = [];
    net.tick(H0, net.wake.get(H0)!);
    expect(round(1)).toEqual([9, 9]);
    expect(net.node(H0).proposer.stats.retries).toBeGreaterThanOrEqual(2);
  });
});

describe('node cores: counting and senders', () => {
  it('ignores votes from addresses that are not CALs, counts one per CAL', () => {
    const net = cluster3();
    const v = enc('x');
    for (let i = 0; i < 5; i++) net.receive(H0, 'evil:9', m(Cmd.VOTE, 4, 1, 1, v));
    net.receive(H0, H1, m(Cmd.VOTE, 4, 1, 1, v));
    net.receive(H0, H1, m(Cmd.VOTE, 4, 1, 1, v));
    expect(net.values(H0).has(4)).toBe(false);
    net.receive(H0, H2, m(Cmd.VOTE, 4, 1, 1, v));
    expect(net.values(H0).get(4)).toBe('x');
  });

  it('does not answer INVITE or NOMINATE from a non-CAL', () => {
    const net = cluster3();
    net.receive(H0, 'evil:9', m(Cmd.INVITE, 4, 100));
    net.receive(H0, 'evil:9', m(Cmd.NOMINATE, 4, 100, 0, enc('x')));
    expect(net.queue).toEqual([]);
    expect(net.node(H0).acceptor.states().find((s) => s.seqn === 4)).toBeUndefined();
  });

  it('a higher round resets the vote count', () => {
    const net = cluster3();
    net.receive(H0, H1, m(Cmd.VOTE, 4, 4, 4, enc('a')));
    net.receive(H0, H2, m(Cmd.VOTE, 4, 5, 5, enc('b')));
    net.receive(H0, H0, m(Cmd.VOTE, 4, 4, 4, enc('a'))); // round 4 no longer counted
    expect(net.values(H0).has(4)).toBe(false);
    net.receive(H0, H1, m(Cmd.VOTE, 4, 5, 5, enc('b')));
    expect(net.values(H0).get(4)).toBe('b');
  });

  it('learning from votes broadcasts LEARN; learning from LEARN does not', () => {
    const net = cluster3();
    net.receive(H0, H1, m(Cmd.VOTE, 4, 4, 4, enc('a')));
    net.receive(H0, H2, m(Cmd.VOTE, 4, 4, 4, enc('a')));
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.LEARN).map((p) => p.to).sort()).toEqual([H1, H2]);
    net.queue = [];
    net.receive(H0, H1, m(Cmd.LEARN, 7, 0, 0, enc('z')));
    expect(net.values(H0).get(7)).toBe('z');
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.LEARN)).toEqual([]);
  });

  it('ignores messages without a valid cmd or seqn', () => {
    const net = cluster3();
    net.receive(H0, H1, m(Cmd.LEARN, 0, 0, 0, enc('z')));
    net.receive(H0, H1, m(Cmd.TICK, 4));
    net.receive(H0, H1, m(Cmd.PROPOSE, 4, 0, 0, enc('z')));
    net.receive(H0, H1, m(99, 4, 0, 0, enc('z')));
    net.receive(H0, H1, m(Cmd.LEARN, -3, 0, 0, enc('z')));
    net.receive(H0, H1, m(Cmd.INVITE, -3, 4));
    net.receive(H0, H1, m(Cmd.NOMINATE, 1.5, 4, 0, enc('z')));
    net.receive(H0, H1, m(Cmd.VOTE, Number.NaN, 4, 4, enc('z')));
    expect(net.learned.get(H0)).toEqual([]);
    expect(net.queue).toEqual([]);
  });
});

describe('node cores: held messages and catch-up', () => {
  it('holds messages for instances not open yet and replays them on open', () => {
    const net = new TestNet(cals(3));
    net.open(1, 5);
    net.receive(H0, H1, m(Cmd.VOTE, 7, 4, 4, enc('late')));
    net.receive(H0, H2, m(Cmd.VOTE, 7, 4, 4, enc('late')));
    expect(net.values(H0).has(7)).toBe(false);
    expect(net.node(H0).learner.inspect().held).toBe(2);
    net.openOn(H0, 6, 7);
    expect(net.values(H0).get(7)).toBe('late');
    expect(net.node(H0).learner.inspect().held).toBe(0);
  });

  it('holds an INVITE for an instance not open yet and answers it on open', () => {
    const net = new TestNet(cals(3));
    net.open(1, 5);
    net.receive(H0, H1, m(Cmd.INVITE, 7, 4));
    const rsvps = () => net.queue.filter((p) => p.msg.cmd === Cmd.RSVP).map((p) => [p.to, p.msg.seqn, p.msg.crnd]);
    expect(rsvps()).toEqual([]);
    expect(net.node(H0).acceptor.inspect().held).toBe(1);
    net.openOn(H0, 6, 7);
    expect(rsvps()).toEqual([[H1, 7, 4]]);
  });

  it('bounds the messages it holds', () => {
    const l = new LearnerCore({ selfId: cals(3)[0]!.id, alpha: 50, maxHeld: 2 });
    for (let s = 1; s <= 5; s++) l.open(s, cals(3));
    l.receive(H1, m(Cmd.VOTE, 9, 4, 4, enc('a')));
    l.receive(H2, m(Cmd.VOTE, 9, 4, 4, enc('a')));
    l.receive(H1, m(Cmd.LEARN, 8, 0, 0, enc('b'))); // over the bound: dropped
    l.receive(H1, m(Cmd.LEARN, 5000, 0, 0, enc('c'))); // far beyond the window: dropped
    expect(l.inspect().held).toBe(2);
    for (let s = 6; s <= 9; s++) l.open(s, cals(3));
    expect(l.drain().learned.map((x) => x.seqn)).toEqual([9]);
  });

  it('answers an INVITE for an instance its store applied with LEARN to the sender only', () => {
    // Changed with the split: the acceptor answers LEARN only for seqns the
    // store applied (AcceptorCore.decided), no longer for one the node merely
    // learned; until then it answers RSVP with its vote, as any acceptor.
    const net = cluster3();
    for (let s = 1; s <= 4; s++) net.receive(H0, H1, m(Cmd.LEARN, s, 0, 0, enc(s === 4 ? 'done' : 'nop:')));
    expect(net.storeApply(H0)).toBe(4);
    net.queue = [];
    net.receive(H0, H2, m(Cmd.INVITE, 4, 5));
    expect(net.queue.map((p) => [p.to, p.msg.cmd, p.msg.seqn, dec(p.msg.value)])).toEqual([[H2, Cmd.LEARN, 4, 'done']]);
    // Other messages for a decided instance are ignored.
    net.queue = [];
    net.receive(H0, H2, m(Cmd.NOMINATE, 4, 8, 0, enc('x')));
    net.receive(H0, H2, m(Cmd.VOTE, 4, 8, 8, enc('x')));
    net.receive(H0, H2, m(Cmd.LEARN, 4, 0, 0, enc('x')));
    expect(net.queue).toEqual([]);
    expect(net.learned.get(H0)!.filter((l) => l.seqn === 4).length).toBe(1);
  });

  it('a node that fell behind catches up by LEARN: it fills what is far below the instances in use, and the others answer', () => {
    const alpha = 5;
    const net = new TestNet(cals(3), { alpha });
    net.open(1, alpha);
    // h0 hears nothing while h1 and h2 decide 1..8 (h1 and h2 are a quorum).
    const lost = (p: { to: string; from: string }) => p.to === H0 || p.from === H0;
    for (let s = 1; s <= 8; s++) {
      const leader = [H0, H1, H2][s % 3]!;
      if (leader === H0) {
        // h0's own instances: h1 fills them (after the fill delay).
        net.node(H1).proposer.seen(s, [], net.now);
        net.tick(H1, (net.now += 100));
      } else net.propose(leader, `w${s}`);
      net.run(lost);
      for (const a of [H1, H2]) net.storeApply(a);
    }
    // 1..8, and the next rotation's fills after the last writes.
    for (const a of [H1, H2]) expect(net.node(a).storeRev).toBeGreaterThanOrEqual(8);
    expect(net.values(H0).size).toBe(0);
    // Now h0 sees h2 use 13 (> 5 + alpha): 1..5 are decided; it INVITEs them at once.
    net.queue = [];
    net.receive(H0, H2, m(Cmd.VOTE, 13, 1, 1, enc('x')));
    net.tick(H0, net.now);
    const invited = [...new Set(net.queue.filter((p) => p.msg.cmd === Cmd.INVITE).map((p) => p.msg.seqn))].sort();
    expect(invited).toEqual([1, 2, 3, 4, 5]);
    net.run();
    // Every INVITE was answered by LEARN from the peers' acceptors.
    const v = net.values(H0);
    for (let s = 1; s <= 5; s++) expect(v.get(s)).toBe(net.values(H1).get(s));
    expect(net.storeApply(H0)).toBe(5);
  });
});

describe('node cores: a decision known from the store', () => {
  it('an instance the store applied before it opened never opens in the acceptor, and its INVITE gets LEARN', () => {
    // Replaces "decided() for an instance not open yet is held": the store's
    // decision no longer goes through the learner; the acceptor keeps it.
    const net = new TestNet(cals(3), { alpha: 5 });
    net.open(1, 5);
    for (let s = 1; s <= 8; s++) net.storeApplyValue(H0, s, `v${s}`, false);
    net.openOn(H0, 6, 13);
    expect(net.node(H0).acceptor.inspect().low).toBe(9);
    net.queue = [];
    net.receive(H0, H2, m(Cmd.INVITE, 8, 5));
    expect(net.queue.map((p) => [p.to, p.msg.cmd, dec(p.msg.value)])).toEqual([[H2, Cmd.LEARN, 'v8']]);
  });

  it('a node that is not a CAL does not keep undecided instances forever', () => {
    const slave = { id: 'ZZZ', addr: 'h9:1' };
    const net = new TestNet(cals(3), { alpha: 5 }, [slave]);
    net.openOn(slave.addr, 1, 5);
    for (let s = 1; s <= 95; s++) net.storeApplyValue(slave.addr, s, 'nop:'); // the store follows by other means
    const n = net.node(slave.addr);
    for (const v of [n.acceptor.inspect(), n.learner.inspect(), n.proposer.inspect()]) {
      expect(v.low).toBe(96);
      expect(v.high).toBe(100);
    }
  });
});

describe('node cores: fill', () => {
  it('fills earlier instances after the fill delay with its own rounds; leads its own at once', () => {
    const net = cluster3();
    // h0 sees seqn 5 (led by h2) in use.
    net.receive(H0, H2, m(Cmd.NOMINATE, 5, 1, 0, enc('w')));
    const sent = net.queue.map((p) => [p.msg.cmd, p.msg.seqn, p.msg.crnd, dec(p.msg.value)]);
    // Its vote for 5, and at once a no-op in round 1 at 3, the instance it
    // leads, and at 6, its instance of the next rotation (a write was seen at 5).
    expect(sent).toContainEqual([Cmd.VOTE, 5, 1, 'w']);
    expect(sent).toContainEqual([Cmd.NOMINATE, 3, 1, 'nop:']);
    expect(sent).toContainEqual([Cmd.NOMINATE, 6, 1, 'nop:']);
    expect(sent.filter((x) => x[0] === Cmd.INVITE)).toEqual([]);
    expect(net.wake.get(H0)).toBe(20); // the round-1 timeout of seqn 3 comes first
    net.queue = [];
    net.tick(H0, 50);
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.INVITE).map((p) => p.msg.seqn)).toEqual([3, 3, 6, 6]); // fast fallback only
    net.queue = [];
    net.tick(H0, 99);
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.INVITE && p.msg.seqn !== 3 && p.msg.seqn !== 6)).toEqual([]);
    net.tick(H0, 100);
    const invites = net.queue.filter((p) => p.msg.cmd === Cmd.INVITE && p.msg.seqn !== 3 && p.msg.seqn !== 6);
    // 1, 2 and 4 (earlier, led by others) and 5 itself (in use, undecided here), round 3 (h0 = index 0).
    expect([...new Set(invites.map((p) => p.msg.seqn))]).toEqual([1, 2, 4, 5]);
    expect(invites.every((p) => p.msg.crnd === 3)).toBe(true);
    // Nothing above the next rotation.
    expect(net.queue.some((p) => p.msg.seqn > 6)).toBe(false);
  });

  it('fills its next rotation only when it has no write of its own in flight (under load its next write takes that instance)', () => {
    const net = cluster3();
    net.propose(H0, 'mine'); // at 3, which h0 leads: in flight
    net.queue = [];
    net.receive(H0, H2, m(Cmd.NOMINATE, 5, 1, 0, enc('w')));
    expect(net.queue.some((p) => p.msg.cmd === Cmd.NOMINATE && p.msg.seqn === 6)).toBe(false);
  });

  it('does not fill its next rotation while the cluster has an original node (whose attach hangs on no-ops right after a write)', () => {
    const net = cluster3();
    net.node(H0).proposer.setNextRotation(false);
    net.receive(H0, H2, m(Cmd.NOMINATE, 5, 1, 0, enc('w')));
    const nominated = net.queue.filter((p) => p.msg.cmd === Cmd.NOMINATE).map((p) => p.msg.seqn);
    expect(nominated).toContain(3); // below the write: the idle-leader rule still fills it
    expect(nominated).not.toContain(6); // filled with the rule on: 'fills earlier instances ...' above
  });

  it('without the idle-leader rule, its own instances wait for the fill delay too', () => {
    const net = cluster3({ idleLeaderFill: false });
    net.receive(H0, H2, m(Cmd.NOMINATE, 5, 1, 0, enc('w')));
    expect(net.queue.some((p) => p.msg.seqn === 3)).toBe(false);
    expect(net.wake.get(H0)).toBe(100);
    net.tick(H0, 100);
    expect(net.queue.filter((p) => p.msg.seqn === 3).map((p) => [p.msg.cmd, p.msg.crnd])).toContainEqual([Cmd.NOMINATE, 1]);
  });

  it('fills at once an instance far below one in use (known decided): catch-up', () => {
    const net = new TestNet(cals(3), { alpha: 10 });
    net.open(1, 10);
    net.receive(H0, H1, m(Cmd.VOTE, 16, 4, 4, enc('far'))); // someone has applied 6: 1..6 are decided
    // Its own 3 and 6 at once by INVITE (no fast path for a known-decided
    // instance). Its own 9 (in use above, not known decided) waits until it
    // comes near the lowest undecided instance (here 1).
    const own = net.queue.map((p) => [p.msg.cmd, p.msg.seqn]);
    expect(own).toEqual([
      [Cmd.INVITE, 3],
      [Cmd.INVITE, 3],
      [Cmd.INVITE, 6],
      [Cmd.INVITE, 6],
    ]);
    net.queue = [];
    expect(net.wake.get(H0)).toBe(0); // the others' are due now, run at the next tick
    net.tick(H0, 0);
    const now = [...new Set(net.queue.filter((p) => p.msg.cmd === Cmd.INVITE).map((p) => p.msg.seqn))];
    expect(now).toEqual([1, 2, 4, 5]);
    // 7, 8, 10 are not known decided (16 - alpha = 6): they wait for the fill delay.
    expect(net.queue.some((p) => p.msg.seqn > 6)).toBe(false);
    net.queue = [];
    // Once 1 and 2 are decided, 9 is within 2k = 6 of the lowest undecided (3): filled by the fast path.
    net.receive(H0, H1, m(Cmd.LEARN, 1, 0, 0, enc('x')));
    expect(net.queue.some((p) => p.msg.seqn === 9)).toBe(false);
    net.receive(H0, H1, m(Cmd.LEARN, 2, 0, 0, enc('x')));
    expect(net.queue.filter((p) => p.msg.seqn === 9).map((p) => p.msg.cmd)).toEqual([Cmd.NOMINATE, Cmd.NOMINATE, Cmd.VOTE, Cmd.VOTE]);
  });

  it('an idle leader leaves its own instance far above the lowest undecided one to a later write', () => {
    const net = cluster3();
    // h0 sees seqn 14 (led by h2) in use: of its own 3..12 it fills 3 and 6
    // (within 2k = 6 of 1) at once, the rest not yet.
    net.receive(H0, H2, m(Cmd.NOMINATE, 14, 1, 0, enc('w')));
    const filled = () => [...new Set(net.queue.filter((p) => p.msg.cmd === Cmd.NOMINATE && dec(p.msg.value) === 'nop:').map((p) => p.msg.seqn))];
    expect(filled()).toEqual([3, 6]);
    net.queue = [];
    // A write arriving now takes 9, not a slot above 14.
    net.propose(H0, 'late');
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.NOMINATE).map((p) => [p.msg.seqn, dec(p.msg.value)])).toContainEqual([9, 'late']);
    net.queue = [];
    // 12 waits at most idleFillMaxMs (20 ms), even if the lowest undecided instance does not move.
    net.tick(H0, 19);
    expect(filled()).toEqual([]);
    net.tick(H0, 20);
    expect(filled()).toEqual([12]);
  });

  it('restored acceptor states: the instances up to the highest are filled, and a voted value is chosen again', () => {
    const net = new TestNet(cals(3), { fillDelayMs: 5 });
    net.restore(H0, [{ seqn: 5, rnd: 1, vrnd: 1, vval: enc('old') }]);
    net.open(1, 50);
    net.queue = [];
    net.tick(H0, 100);
    // 3 (its own) was filled at once by the fast path; its INVITE here is the fallback.
    expect([...new Set(net.queue.filter((p) => p.msg.cmd === Cmd.INVITE).map((p) => p.msg.seqn))].sort()).toEqual([1, 2, 3, 4, 5]);
    net.run();
    for (const a of [H0, H1, H2]) expect(net.values(a).get(5)).toBe('old');
  });
});

describe('node cores: a node that is not a CAL', () => {
  it('learns from votes and LEARN, never votes or proposes', () => {
    const slave = { id: 'ZZZ', addr: 'h9:1' };
    const net = new TestNet(cals(3), {}, [slave]);
    net.open(1, 10);
    const id = net.propose(slave.addr, 'w');
    expect(id).toBeGreaterThan(0);
    expect(net.queue).toEqual([]);
    net.receive(slave.addr, H0, m(Cmd.INVITE, 4, 3));
    net.receive(slave.addr, H0, m(Cmd.NOMINATE, 4, 3, 0, enc('x')));
    expect(net.queue).toEqual([]);
    net.receive(slave.addr, H0, m(Cmd.VOTE, 4, 3, 3, enc('x')));
    net.receive(slave.addr, H1, m(Cmd.VOTE, 4, 3, 3, enc('x')));
    expect(net.values(slave.addr).get(4)).toBe('x');
    expect(net.queue).toEqual([]); // no LEARN broadcast either
    net.receive(slave.addr, H1, m(Cmd.LEARN, 5, 0, 0, enc('y')));
    expect(net.values(slave.addr).get(5)).toBe('y');
    const p = net.node(slave.addr).proposer;
    expect(p.inspect().queuedWrites).toEqual([id]);
    expect(p.cancel(id)).toBe(true);
    expect(p.inspect().queuedWrites).toEqual([]);
    expect(p.cancel(id)).toBe(false);
  });

  it('takes part from the instance whose CAL list names it', () => {
    const four = [...cals(3), { id: 'IDD', addr: 'h3:1' }];
    const p = new ProposerCore({ self: four[3]!, rng: () => 0.5 });
    for (let s = 1; s <= 5; s++) p.open(s, cals(3), 0);
    for (let s = 6; s <= 12; s++) p.open(s, four, 0);
    const id = p.propose(enc('w'), 0);
    const r = p.drain();
    // IDD is index 3 of 4: it leads 7 (7 mod 4 = 3).
    const noms = r.sends.filter((s) => s.msg.cmd === Cmd.NOMINATE);
    expect(noms.map((s) => [s.msg.seqn, s.msg.crnd, [...s.to].sort()])).toEqual([[7, 1, ['h0:1', 'h1:1', 'h2:1']]]);
    expect(r.local.map((x) => [x.cmd, x.seqn])).toEqual([[Cmd.NOMINATE, 7]]);
    expect(id).toBe(1);
    // Its acceptor votes only from that instance on.
    const a = new AcceptorCore({ self: four[3]!, alpha: 50, keep: 50 });
    for (let s = 1; s <= 5; s++) a.open(s, cals(3));
    for (let s = 6; s <= 12; s++) a.open(s, four);
    a.receive(H0, m(Cmd.INVITE, 5, 3));
    a.receive(H0, m(Cmd.INVITE, 6, 4));
    expect(a.drain().sends.map((s) => [s.msg.cmd, s.msg.seqn])).toEqual([[Cmd.RSVP, 6]]);
  });

  it('reuses the previous CAL list when opened with an empty one', () => {
    const p = new ProposerCore({ self: cals(3)[0]!, rng: () => 0.5 });
    p.open(1, cals(3), 0);
    p.open(2, [], 0);
    expect(p.inspect().instances.map((i) => i.leader)).toEqual(['IDB', 'IDC']);
  });
});

describe('node cores: debug view', () => {
  it('shows open instances, rounds and queued writes', () => {
    const net = cluster3();
    net.propose(H0, 'w');
    const v = net.node(H0).proposer.inspect();
    expect(v.low).toBe(1);
    expect(v.high).toBe(20);
    expect(v.highestUsed).toBe(3);
    const i3 = v.instances.find((i) => i.seqn === 3)!;
    expect(i3).toMatchObject({ leader: 'IDA', isCal: true, learned: false, crnd: 1, writeId: 1 });
    // The promise and vote are the acceptor's now.
    expect(net.node(H0).acceptor.states().find((s) => s.seqn === 3)).toMatchObject({ rnd: 1, vrnd: 1 });
    net.run();
    expect(net.node(H0).proposer.inspect().instances.find((i) => i.seqn === 3)).toMatchObject({ learned: true, value: 'w' });
  });
});

describe('node cores: who may tell a node a decision', () => {
  it('a LEARN from an address that is no CAL of the instance is ignored; one from a CAL is learned', () => {
    const net = cluster3();
    net.receive(H0, 'evil:1', m(Cmd.LEARN, 2, 0, 0, enc('-1:/forged=1')));
    net.receive(H0, '10.9.9.9:8046', m(Cmd.LEARN, 25, 0, 0, enc('-1:/forged-held=1'))); // not open yet: held, then ignored
    net.open(21, 30);
    expect(net.values(H0)).toEqual(new Map());
    net.receive(H0, H1, m(Cmd.LEARN, 2, 0, 0, enc('-1:/real=1')));
    expect(net.values(H0)).toEqual(new Map([[2, '-1:/real=1']]));
  });

  it('an RSVP from a non-CAL counts for nothing', () => {
    const net = cluster3();
    net.receive(H0, H2, m(Cmd.VOTE, 2, 1, 1, enc('x')));
    net.tick(H0, 100); // INVITE round 3 at 1
    net.queue = [];
    for (let i = 0; i < 3; i++) net.receive(H0, `evil${i}:1`, m(Cmd.RSVP, 1, 3, 0, E));
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.NOMINATE && p.msg.seqn === 1)).toEqual([]);
    net.receive(H0, H1, m(Cmd.RSVP, 1, 3, 0, E));
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.NOMINATE && p.msg.seqn === 1).length).toBe(2);
  });
});
