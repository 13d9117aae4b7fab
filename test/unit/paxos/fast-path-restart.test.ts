// The leader's round-1 fast path is safe only if round 1 of an instance is
// used once, with one value, ever: across restarts of the proposer (a fresh
// core) and of the whole node (-data). This is the divergence the large-value
// crash test found (two nodes' stores differed at one rev after a whole
// 3-CAL cluster was killed with -9 in the middle of writes): the leader's
// NOMINATE(1, V) reached the two other CALs, which voted and stored their
// votes (V chosen, one of them applied it), while the leader's own acceptor
// had not stored its vote yet; after the restart the leader's fresh proposer
// used round 1 again with another value W, its own acceptor voted (1, W),
// and the next round's coordinator, seeing two round-1 votes with different
// values, took the first RSVP's (its own: W) and W was chosen at the seqn
// where a node had applied V.
//
// Fix: round 1 of a seqn is granted to a proposer by its node's acceptor, in
// leases of seqns, each seqn at most once (stored with -data before the
// grant leaves, and kept across actor restarts); a fresh proposer uses no
// fast path until it gets a lease, and a lease starts above every seqn ever
// granted before.
import { describe, expect, it } from 'vitest';
import { AcceptorCore } from '../../../src/actors/paxos/acceptor-core.js';
import { ProposerCore } from '../../../src/actors/paxos/proposer-core.js';
import { Cmd } from '../../../src/actors/paxos/types.js';
import { cals, dec, enc, TestNet, TestNode, type NodeOptions } from './harness.js';

// cals(3): IDA at h0:1, IDB at h1:1, IDC at h2:1; the leader of seqn s is h(s mod 3).
const H0 = 'h0:1';
const H1 = 'h1:1';
const H2 = 'h2:1';
const OPTS: NodeOptions = { fillDelayMs: 1000, fastLeases: true };

/** Node `addr` restarts: fresh cores; its acceptor gets back `states` and the highest fast grant (what -data keeps). */
function restart(net: TestNet, addr: string, keep: { states: boolean }): void {
  const old = net.node(addr);
  const states = keep.states ? net.accepted.get(addr)!.filter((s) => s.seqn > 0) : [];
  const fresh = new TestNode(old.self, OPTS);
  fresh.acceptor.restoreFastGrants(old.acceptor.fastGranted);
  net.nodes.set(addr, fresh);
  if (states.length) net.restore(addr, states);
  net.openOn(addr, 1, 20);
}

describe('the round-1 fast path across restarts', () => {
  it('a leader restarted before its own vote was stored does not use round 1 again: the value chosen before stays chosen', () => {
    const net = new TestNet(cals(3), OPTS);
    net.open(1, 20);
    // Give every proposer its first lease (as the acceptor actor does at start).
    for (const a of [H0, H1, H2]) net.tick(a, 0);
    net.propose(H1, 'V'); // h1 leads seqn 1: NOMINATE(1, V) to h0 and h2
    expect(net.queue.filter((p) => p.msg.cmd === Cmd.NOMINATE).map((p) => [p.msg.seqn, p.msg.crnd, p.to])).toEqual([
      [1, 1, H0],
      [1, 1, H2],
    ]);
    // h1 dies before its own vote is stored (its VOTEs never leave); h0 and h2 vote and store theirs.
    net.run((p) => p.from === H1 && p.msg.cmd === Cmd.VOTE || p.to === H1);
    expect(net.values(H0).get(1)).toBe('V');
    expect(net.values(H2).get(1)).toBe('V');
    net.storeApply(H2, { upTo: 1 }); // h2 applied V at 1 (its chosen log has it)
    const h1Accepted = net.accepted.get(H1)!.filter((s) => s.seqn === 1);
    expect(h1Accepted.length).toBe(1); // it voted in memory ...
    net.accepted.set(H1, []); // ... but that vote never reached its disk

    // The whole cluster is killed; h0 and h1 come back from -data (h2 has applied 1 and answers it with LEARN, slowly).
    net.now = 1000;
    restart(net, H0, { states: true });
    restart(net, H1, { states: false });
    net.queue = [];
    for (const a of [H0, H1]) net.tick(a, 1000);
    net.propose(H1, 'W');
    const slowH2 = (p: { from: string; to: string }): boolean => p.to === H2 || p.from === H2;
    for (let t = 1000; t < 3000; t += 10) {
      net.tick(H1, t);
      net.tick(H0, t);
      net.run(slowH2);
    }
    // The value chosen before the crash stays chosen on every node that learns seqn 1.
    expect(net.values(H2).get(1)).toBe('V');
    expect(net.values(H0).get(1)).toBe('V');
    expect(net.values(H1).get(1)).toBe('V');
    // W is written elsewhere, later.
    const w = [...net.values(H1)].find(([, v]) => v === 'W');
    expect(w?.[0]).toBeGreaterThan(1);
  });

  it('a fresh proposer (actor restart, same process) gets a lease above every seqn granted before', () => {
    const acceptor = new AcceptorCore({ self: cals(3)[1]!, alpha: 50, keep: 200 });
    const first = acceptor.grantFast(20);
    expect(first.from).toBe(0);
    expect(first.to).toBeGreaterThanOrEqual(20);
    const again = acceptor.grantFast(20); // a new proposer asks for the same seqns
    expect(again.from).toBe(first.to);
    expect(again.to).toBeGreaterThan(again.from);
    // A restarted node (from -data) grants above what it stored.
    const restarted = new AcceptorCore({ self: cals(3)[1]!, alpha: 50, keep: 200 });
    restarted.restoreFastGrants(again.to);
    expect(restarted.grantFast(5).from).toBe(again.to);
  });

  it('a fresh proposer holds its writes for its first lease a moment (leaseWaitMs), then takes the normal path', () => {
    const p = new ProposerCore({ self: cals(3)[1]!, rng: () => 0.5, fastLeases: true, leaseWaitMs: 50 });
    for (let s = 1; s <= 20; s++) p.open(s, cals(3), 0);
    p.propose(enc('x'), 0);
    const r = p.drain();
    expect(r.wantFast).toBe(20);
    expect(r.sends).toEqual([]);
    expect(r.wakeAt).toBe(50);
    // The lease comes: the write goes at once, on the fast path.
    p.fastLease(0, 5000, 10);
    expect(p.drain().sends.map((s) => [s.msg.cmd, s.msg.seqn, s.msg.crnd, dec(s.msg.value)])).toEqual([[Cmd.NOMINATE, 1, 1, 'x']]);
    // Without an answer, the write goes by phase 1 once the wait is over.
    const q = new ProposerCore({ self: cals(3)[1]!, rng: () => 0.5, fastLeases: true, leaseWaitMs: 50 });
    for (let s = 1; s <= 20; s++) q.open(s, cals(3), 0);
    q.propose(enc('y'), 0);
    q.drain();
    q.tick(50);
    expect(q.drain().sends.map((s) => [s.msg.cmd, s.msg.seqn, s.msg.crnd])).toEqual([[Cmd.INVITE, 1, 4]]);
  });

  it('a proposer without a lease takes no fast path; with one only inside it', () => {
    const p = new ProposerCore({ self: cals(3)[1]!, rng: () => 0.5, fastLeases: true, leaseWaitMs: 0 });
    for (let s = 1; s <= 20; s++) p.open(s, cals(3), 0);
    expect(p.drain().wantFast).toBe(20); // asks for a lease covering its window
    p.propose(enc('x'), 0); // h1 leads 1: no lease, so phase 1 first
    const r = p.drain();
    expect(r.sends.map((s) => [s.msg.cmd, s.msg.seqn, s.msg.crnd])).toEqual([[Cmd.INVITE, 1, 4]]);
    p.fastLease(3, 5000, 0); // seqns 4..5000
    p.propose(enc('y'), 0); // next led: 4
    expect(p.drain().sends.map((s) => [s.msg.cmd, s.msg.seqn, s.msg.crnd, dec(s.msg.value)])).toEqual([[Cmd.NOMINATE, 4, 1, 'y']]);
  });
});
