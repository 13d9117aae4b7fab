import { describe, expect, it } from 'vitest';
import { Manager } from '../../../src/actors/paxos/manager.js';
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

describe('manager: writes', () => {
  it("the leader's first proposal takes one round trip: NOMINATE in round 1, no INVITE", () => {
    const net = cluster3();
    const id = net.propose(H1, '-1:/a=1'); // h1 leads seqn 1
    // NOMINATE(1) to the two others, and the leader's own vote (broadcast includes self).
    expect(net.queue.map((p) => [p.msg.cmd, p.msg.seqn, p.msg.crnd, p.to])).toEqual([
      [Cmd.NOMINATE, 1, 1, H0],
      [Cmd.NOMINATE, 1, 1, H2],
      [Cmd.VOTE, 1, 1, H0],
      [Cmd.VOTE, 1, 1, H2],
    ]);
    const packets = net.run();
    expect(packets.some((p) => p.msg.cmd === Cmd.INVITE)).toBe(false);
    for (const a of [H0, H1, H2]) expect(net.values(a)).toEqual(new Map([[1, '-1:/a=1']]));
    expect(net.written.get(H1)).toEqual([{ id, seqn: 1 }]);
    // Each CAL reports the decision once.
    for (const a of [H0, H1, H2]) expect(net.learned.get(a)!.length).toBe(1);
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
        ]),
      );
    }
    expect(net.written.get(H0)).toEqual([{ id, seqn: 3 }]);
    // Nothing above the instance in use is touched: an idle cluster stays idle.
    for (const a of [H0, H1, H2]) expect(net.learned.get(a)!.every((l) => l.seqn <= 3)).toBe(true);
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
      for (let i = 0; i < 2; i++) {
        net.node(p.to).receive(p.from, p.msg, net.now);
        net.collect(p.to);
      }
    }
    for (const a of [H0, H1, H2]) {
      const seqns = net.learned.get(a)!.map((l) => l.seqn);
      expect(new Set(seqns).size).toBe(seqns.length);
      expect(net.values(a).get(3)).toBe('d');
    }
    expect(net.written.get(H0)!.length).toBe(1);
  });
});

describe('manager: round-1 fast path fallback', () => {
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
});

describe('manager: counting and senders', () => {
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
    expect(net.node(H0).inspect().instances.find((i) => i.seqn === 4)!.rnd).toBe(0);
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
    expect(net.learned.get(H0)).toEqual([]);
    expect(net.queue).toEqual([]);
  });
});

describe('manager: held messages and catch-up', () => {
  it('holds messages for instances not open yet and replays them on open', () => {
    const net = new TestNet(cals(3));
    net.open(1, 5);
    net.receive(H0, H1, m(Cmd.VOTE, 7, 4, 4, enc('late')));
    net.receive(H0, H2, m(Cmd.VOTE, 7, 4, 4, enc('late')));
    expect(net.values(H0).has(7)).toBe(false);
    expect(net.node(H0).inspect().held).toBe(2);
    net.node(H0).open(6, cals(3), 0);
    net.node(H0).open(7, cals(3), 0);
    net.collect(H0);
    expect(net.values(H0).get(7)).toBe('late');
    expect(net.node(H0).inspect().held).toBe(0);
  });

  it('bounds the messages it holds', () => {
    const mgr = new Manager({ self: cals(3)[0]!, rng: () => 0.5, maxHeld: 2 });
    for (let s = 1; s <= 5; s++) mgr.open(s, cals(3), 0);
    mgr.receive(H1, m(Cmd.VOTE, 9, 4, 4, enc('a')), 0);
    mgr.receive(H2, m(Cmd.VOTE, 9, 4, 4, enc('a')), 0);
    mgr.receive(H1, m(Cmd.LEARN, 8, 0, 0, enc('b')), 0); // over the bound: dropped
    mgr.receive(H1, m(Cmd.LEARN, 5000, 0, 0, enc('c')), 0); // far beyond the window: dropped
    expect(mgr.inspect().held).toBe(2);
    for (let s = 6; s <= 9; s++) mgr.open(s, cals(3), 0);
    const r = mgr.drain();
    expect(r.learned.map((l) => l.seqn)).toEqual([9]);
  });

  it('answers an INVITE for a decided instance with LEARN to the sender only', () => {
    const net = cluster3();
    net.receive(H0, H1, m(Cmd.LEARN, 4, 0, 0, enc('done')));
    net.queue = [];
    net.receive(H0, H2, m(Cmd.INVITE, 4, 5));
    expect(net.queue.map((p) => [p.to, p.msg.cmd, p.msg.seqn, dec(p.msg.value)])).toEqual([[H2, Cmd.LEARN, 4, 'done']]);
    // Other messages for a decided instance are ignored.
    net.queue = [];
    net.receive(H0, H2, m(Cmd.NOMINATE, 4, 8, 0, enc('x')));
    net.receive(H0, H2, m(Cmd.VOTE, 4, 8, 8, enc('x')));
    expect(net.queue).toEqual([]);
  });

  it('answers an INVITE for an instance it dropped from the store history (lookup)', () => {
    const history = new Map([[3, enc('old')]]);
    const mgr = new Manager({ self: cals(3)[0]!, rng: () => 0.5, lookup: (s) => history.get(s) });
    for (let s = 100; s < 150; s++) mgr.open(s, cals(3), 0);
    mgr.drain();
    mgr.receive(H2, m(Cmd.INVITE, 3, 5), 0);
    mgr.receive(H2, m(Cmd.INVITE, 4, 5), 0); // not in history: no answer
    mgr.receive(H2, m(Cmd.NOMINATE, 3, 5, 0, enc('x')), 0); // only INVITEs are answered
    const r = mgr.drain();
    expect(r.sends.map((s) => [s.to, s.msg.cmd, s.msg.seqn, dec(s.msg.value)])).toEqual([[[H2], Cmd.LEARN, 3, 'old']]);
  });

  it('drops decided instances once far behind the window and then answers from lookup', () => {
    const looked: number[] = [];
    const mgr = new Manager({
      self: cals(3)[0]!,
      rng: () => 0.5,
      alpha: 5,
      retain: 2,
      lookup: (s) => {
        looked.push(s);
        return enc(`h${s}`);
      },
    });
    for (let s = 1; s <= 5; s++) mgr.open(s, cals(3), 0);
    for (let s = 1; s <= 5; s++) mgr.receive(H1, m(Cmd.LEARN, s, 0, 0, enc(`v${s}`)), 0);
    for (let s = 6; s <= 10; s++) mgr.open(s, cals(3), 0); // store at 5: keep 3.. (retain 2)
    expect(mgr.inspect().low).toBe(3);
    mgr.drain();
    mgr.receive(H2, m(Cmd.INVITE, 3, 5), 0);
    mgr.receive(H2, m(Cmd.INVITE, 2, 5), 0);
    const r = mgr.drain();
    expect(r.sends.map((s) => dec(s.msg.value))).toEqual(['v3', 'h2']);
    expect(looked).toEqual([2]);
  });
});

describe('manager: values decided elsewhere', () => {
  it('decided() learns like a LEARN, resolves a write, and broadcasts nothing', () => {
    const net = cluster3();
    const id = net.propose(H0, 'mine'); // at 3
    net.queue = [];
    net.node(H0).decided(3, enc('mine'), 0);
    net.collect(H0);
    expect(net.values(H0).get(3)).toBe('mine');
    expect(net.written.get(H0)).toEqual([{ id, seqn: 3 }]);
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.LEARN)).toEqual([]);
    net.node(H0).decided(3, enc('mine'), 0); // again: nothing new
    net.collect(H0);
    expect(net.learned.get(H0)!.length).toBe(1);
  });

  it('decided() for an instance not open yet is held', () => {
    const net = new TestNet(cals(3));
    net.open(1, 5);
    net.node(H0).decided(8, enc('later'), 0);
    net.collect(H0);
    expect(net.values(H0).has(8)).toBe(false);
    net.open(6, 8);
    expect(net.values(H0).get(8)).toBe('later');
  });

  it('a node that is not a CAL does not keep undecided instances forever', () => {
    const slave = { id: 'ZZZ', addr: 'h9:1' };
    const mgr = new Manager({ self: slave, rng: () => 0.5, alpha: 5, retain: 2 });
    for (let s = 1; s <= 100; s++) mgr.open(s, cals(3), 0); // the store applied up to 95 by other means
    const v = mgr.inspect();
    expect(v.instances.length).toBeLessThanOrEqual(13);
    expect(v.low).toBe(93);
  });

  it('settles a write whose instance the store passed without this node learning it', () => {
    const history = new Map<number, Uint8Array>();
    const mgr = new Manager({ self: cals(3)[0]!, rng: () => 0.5, alpha: 5, retain: 2, lookup: (s) => history.get(s) });
    for (let s = 1; s <= 5; s++) mgr.open(s, cals(3), 0);
    const id = mgr.propose(enc('w'), 0); // at 3
    mgr.drain();
    history.set(3, enc('w'));
    for (let s = 6; s <= 12; s++) mgr.open(s, cals(3), 0); // store at 7: 3 dropped, settled from history
    const r = mgr.drain();
    expect(r.written).toEqual([{ id, seqn: 3 }]);
    expect(mgr.inspect().low).toBe(5);
  });
});

describe('manager: fill', () => {
  it('fills earlier instances after the fill delay with its own rounds; leads its own at once', () => {
    const net = cluster3();
    // h0 sees seqn 5 (led by h2) in use.
    net.receive(H0, H2, m(Cmd.NOMINATE, 5, 1, 0, enc('w')));
    const sent = net.queue.map((p) => [p.msg.cmd, p.msg.seqn, p.msg.crnd, dec(p.msg.value)]);
    // Its vote for 5, and at once a no-op in round 1 at 3, the instance it leads.
    expect(sent).toContainEqual([Cmd.VOTE, 5, 1, 'w']);
    expect(sent).toContainEqual([Cmd.NOMINATE, 3, 1, 'nop:']);
    expect(sent.filter((x) => x[0] === Cmd.INVITE)).toEqual([]);
    expect(net.wake.get(H0)).toBe(20); // the round-1 timeout of seqn 3 comes first
    net.queue = [];
    net.tick(H0, 50);
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.INVITE).map((p) => p.msg.seqn)).toEqual([3, 3]); // fast fallback only
    net.queue = [];
    net.tick(H0, 99);
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.INVITE && p.msg.seqn !== 3)).toEqual([]);
    net.tick(H0, 100);
    const invites = net.queue.filter((p) => p.msg.cmd === Cmd.INVITE && p.msg.seqn !== 3);
    // 1, 2 and 4 (earlier, led by others) and 5 itself (in use, undecided here), round 3 (h0 = index 0).
    expect([...new Set(invites.map((p) => p.msg.seqn))]).toEqual([1, 2, 4, 5]);
    expect(invites.every((p) => p.msg.crnd === 3)).toBe(true);
    // Nothing above the instance in use.
    expect(net.queue.some((p) => p.msg.seqn > 5)).toBe(false);
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
});

describe('manager: a node that is not a CAL', () => {
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
    expect(net.node(slave.addr).inspect().queuedWrites).toEqual([id]);
    expect(net.node(slave.addr).cancel(id)).toBe(true);
    expect(net.node(slave.addr).inspect().queuedWrites).toEqual([]);
  });

  it('takes part from the instance whose CAL list names it', () => {
    const four = [...cals(3), { id: 'IDD', addr: 'h3:1' }];
    const mgr = new Manager({ self: four[3]!, rng: () => 0.5 });
    for (let s = 1; s <= 5; s++) mgr.open(s, cals(3), 0);
    for (let s = 6; s <= 12; s++) mgr.open(s, four, 0);
    const id = mgr.propose(enc('w'), 0);
    const r = mgr.drain();
    // IDD is index 3 of 4: it leads 7 (7 mod 4 = 3).
    const noms = r.sends.filter((s) => s.msg.cmd === Cmd.NOMINATE);
    expect(noms.map((s) => [s.msg.seqn, s.msg.crnd, [...s.to].sort()])).toEqual([[7, 1, ['h0:1', 'h1:1', 'h2:1']]]);
    expect(id).toBe(1);
  });

  it('reuses the previous CAL list when opened with an empty one', () => {
    const mgr = new Manager({ self: cals(3)[0]!, rng: () => 0.5 });
    mgr.open(1, cals(3), 0);
    mgr.open(2, [], 0);
    const v = mgr.inspect();
    expect(v.instances.map((i) => i.leader)).toEqual(['IDB', 'IDC']);
  });
});

describe('manager: debug view', () => {
  it('shows open instances, rounds and queued writes', () => {
    const net = cluster3();
    net.propose(H0, 'w');
    const v = net.node(H0).inspect();
    expect(v.low).toBe(1);
    expect(v.high).toBe(20);
    expect(v.highestUsed).toBe(3);
    const i3 = v.instances.find((i) => i.seqn === 3)!;
    expect(i3).toMatchObject({ leader: 'IDA', isCal: true, learned: false, crnd: 1, rnd: 1, vrnd: 1, writeId: 1 });
    net.run();
    expect(net.node(H0).inspect().instances.find((i) => i.seqn === 3)).toMatchObject({ learned: true, value: 'w' });
  });
});

describe('manager: who may tell a node a decision', () => {
  it('a LEARN from an address that is no CAL of the instance is ignored; one from a CAL is learned', () => {
    const net = cluster3();
    net.receive(H0, 'evil:1', m(Cmd.LEARN, 2, 0, 0, enc('-1:/forged=1')));
    net.receive(H0, '10.9.9.9:8046', m(Cmd.LEARN, 25, 0, 0, enc('-1:/forged-held=1'))); // not open yet: held, then ignored
    net.open(21, 30);
    expect(net.values(H0)).toEqual(new Map());
    net.receive(H0, H1, m(Cmd.LEARN, 2, 0, 0, enc('-1:/real=1')));
    expect(net.values(H0)).toEqual(new Map([[2, '-1:/real=1']]));
  });

  it('a decision known from the store (decided()) is learned even before its instance opens', () => {
    const net = cluster3();
    net.node(H0).decided(25, enc('-1:/from-store=1'), net.now);
    net.open(21, 30);
    expect(net.values(H0).get(25)).toBe('-1:/from-store=1');
  });
});
