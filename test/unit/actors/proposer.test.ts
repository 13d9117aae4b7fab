// The proposer actor (src/actors/proposer.ts), which hosts ProposerCore, on a
// fake context: its refusals (each READONLY says why, no write is ever left
// unanswered), where its Paxos messages go (peers through the UDP transport,
// its own acceptor locally), and the overload answer of a write whose
// proposer mailbox is full (client session, store).
import { describe, expect, it } from 'vitest';
import { createClientSession } from '../../../src/actors/client-session.js';
import { createProposer, type ProposerArgs } from '../../../src/actors/proposer.js';
import { PROPOSER } from '../../../src/actors/proposer-messages.js';
import { ACCEPTOR, UDP_OUT } from '../../../src/actors/paxos-messages.js';
import { Cmd, LOCAL_SOURCE, type PaxosMsg } from '../../../src/actors/paxos/index.js';
import { createStoreActor } from '../../../src/actors/store/store-actor.js';
import type { CtlCal } from '../../../src/actors/store/ctl.js';
import { encodeSet } from '../../../src/actors/store/mutation.js';
import { ErrCode, Verb } from '../../../src/wire/client-codec.js';
import { startActor, type FakeActor } from '../../helpers/fake-actor.js';

const cal = (slot: string, id: string, rev = 3): CtlCal => ({ slot, id, rev, addr: id ? `${id}:1` : '', ours: true });
const writable = (id: string) => encodeSet(-1, `/ctl/node/${id}/writable`, Buffer.from('true'));
const X = encodeSet(-1, '/x', Buffer.from('v'));
/** A store event; `mutation` is what the store applied at `seqn` (what the proposer's core takes as decided there). */
const ev = (seqn: number, path: string, opts: { cals?: CtlCal[]; mutation?: Uint8Array } = {}) => ({
  type: 'store-event',
  event: { seqn, path, body: new Uint8Array(), flags: 4, mutation: opts.mutation ?? new Uint8Array() },
  ...(opts.cals ? { cals: opts.cals } : {}),
}) as never;
const propose = (p: FakeActor, replyTo: string, tag: number): void => p.receive({ type: 'propose', mutation: X, replyTo, tag } as never);

function proposer(id: string, cals: CtlCal[], opts: { rev?: number; alpha?: number; durable?: Map<string, unknown> } = {}): FakeActor {
  const args: ProposerArgs = { self: { id, addr: `${id}:1` }, alpha: opts.alpha ?? 50, fillMs: 100, seed: false };
  const p = startActor(PROPOSER, createProposer, args, opts.durable);
  // Its acceptor's round-1 lease (fast-path-restart.test.ts), as if granted at once.
  p.receive({ type: 'fast-lease', from: 0, to: 1_000_000 } as never);
  p.receive({ type: 'store-cals', rev: opts.rev ?? 10, cals } as never);
  return p;
}

/** The rounds this proposer started since the last call: [cmd, seqn, value] of each INVITE/NOMINATE, to its acceptor and to peers. */
function proposals(p: FakeActor): { local: [number, number, string][]; peers: [string[], number, number, string][] } {
  const brief = (m: PaxosMsg) => [m.cmd, m.seqn, Buffer.from(m.value).toString()] as [number, number, string];
  const local = p
    .take(ACCEPTOR)
    .filter((m) => m.type !== 'fast-want')
    .flatMap((m) => {
      expect(m).toMatchObject({ type: 'peer-in', from: LOCAL_SOURCE });
      return m.msgs as PaxosMsg[];
    })
    .filter((m) => m.cmd === Cmd.INVITE || m.cmd === Cmd.NOMINATE)
    .map(brief);
  const peers = p
    .take(UDP_OUT)
    .filter((m) => m.type === 'peer-out')
    .flatMap((m) => m.sends as { to: string[]; msg: PaxosMsg }[])
    .map((s) => [[...s.to], ...brief(s.msg)] as [string[], number, number, string]);
  return { local, peers };
}

describe('proposer: READONLY says why', () => {
  it('a slave: "this node is not a CAL", for clients and its own bookkeeping alike', () => {
    const p = proposer('S', [cal('0', 'A'), cal('1', '')]);
    propose(p, 'session:1', 7);
    propose(p, 'pulse', 8);
    expect(p.take('session:1')).toEqual([{ type: 'proposed', tag: 7, err: { code: 'READONLY', text: 'this node is not a CAL' } }]);
    expect(p.take('pulse')).toEqual([{ type: 'proposed', tag: 8, err: { code: 'READONLY', text: 'this node is not a CAL' } }]);
    expect(proposals(p)).toEqual({ local: [], peers: [] });
  });

  it('a CAL whose writable file is not applied yet: "not writable yet" for clients; its own writes go through', () => {
    const p = proposer('A', [cal('0', 'A')]);
    // It proposed its writable file (A leads every instance: round-1 NOMINATE to its own acceptor, no peers).
    expect(proposals(p)).toEqual({ local: [[Cmd.NOMINATE, 11, Buffer.from(writable('A')).toString()]], peers: [] });
    propose(p, 'session:1', 1);
    expect(p.take('session:1')).toEqual([{ type: 'proposed', tag: 1, err: { code: 'READONLY', text: 'this node is not writable yet' } }]);
    propose(p, 'liveness', 2);
    expect(p.take('liveness')).toEqual([]);
    expect(proposals(p).local.map((x) => x[1])).toEqual([12]);
    // The writable file applied: clients are served.
    p.receive(ev(11, '/ctl/node/A/writable', { mutation: writable('A') }));
    expect(proposals(p)).toEqual({ local: [], peers: [] }); // nothing re-proposed: the store's value was ours
    propose(p, 'session:1', 3);
    expect(p.take('session:1')).toEqual([]);
    expect(proposals(p).local).toEqual([[Cmd.NOMINATE, 13, Buffer.from(X).toString()]]);
  });

  it('a CAL removed from /ctl/cal: "no longer a CAL"; writes still queued are answered READONLY, proposed ones stay', () => {
    // alpha 4: instances 11..15 open once 11 is applied; B (index 1 of 2) leads 11, 13 and 15.
    const p = proposer('B', [cal('0', 'A'), cal('1', 'B')], { alpha: 4 });
    p.receive(ev(11, '/ctl/node/B/writable', { mutation: writable('B') }));
    proposals(p);
    propose(p, 'session:1', 1); // proposed at 13
    propose(p, 'session:9', 9); // proposed at 15
    propose(p, 'session:2', 2); // no free instance it leads: queued
    const placed = proposals(p);
    expect(placed.local).toEqual([
      [Cmd.NOMINATE, 13, Buffer.from(X).toString()],
      [Cmd.NOMINATE, 15, Buffer.from(X).toString()],
    ]);
    expect(placed.peers[0]).toEqual([['A:1'], Cmd.NOMINATE, 13, Buffer.from(X).toString()]);
    p.receive(ev(12, '/ctl/cal/1', { cals: [cal('0', 'A'), cal('1', '', 12)] }));
    expect(p.logs).toContain('warn: no longer a CAL (removed at rev 12): refusing writes');
    expect(p.take('session:2')).toEqual([{ type: 'proposed', tag: 2, err: { code: 'READONLY', text: 'this node is no longer a CAL' } }]);
    expect(p.take('session:1')).toEqual([]); // its instance decides it
    propose(p, 'session:3', 3);
    propose(p, 'pulse', 4);
    expect(p.take('session:3')).toEqual([{ type: 'proposed', tag: 3, err: { code: 'READONLY', text: 'this node is no longer a CAL' } }]);
    expect(p.take('pulse')).toEqual([{ type: 'proposed', tag: 4, err: { code: 'READONLY', text: 'this node is no longer a CAL' } }]);
    // The proposed write is chosen and applied: its session gets the seqn.
    p.receive({ type: 'decided', learned: [{ seqn: 13, value: X }] } as never);
    p.receive(ev(13, '/x', { mutation: X }));
    expect(p.take('session:1')).toEqual([{ type: 'proposed', tag: 1, seqn: 13 }]);
  });
});

describe('proposer: the Paxos proposer it hosts', () => {
  it('a write is answered with its seqn once the learner decided it and the store applied it', () => {
    const p = proposer('A', [cal('0', 'A')]);
    p.receive(ev(11, '/ctl/node/A/writable', { mutation: writable('A') }));
    proposals(p);
    propose(p, 'session:1', 5);
    expect(proposals(p).local.map((x) => x[1])).toEqual([12]);
    p.receive({ type: 'decided', learned: [{ seqn: 12, value: X }] } as never);
    expect(p.take('session:1')).toEqual([]); // not before its store applied it
    p.receive(ev(12, '/x', { mutation: X }));
    expect(p.take('session:1')).toEqual([{ type: 'proposed', tag: 5, seqn: 12 }]);
  });

  it('a write that lost its instance is proposed again at the next one', () => {
    const p = proposer('A', [cal('0', 'A')]);
    p.receive(ev(11, '/ctl/node/A/writable', { mutation: writable('A') }));
    propose(p, 'session:1', 5);
    proposals(p);
    p.receive({ type: 'decided', learned: [{ seqn: 12, value: Buffer.from('nop:') }] } as never);
    expect(proposals(p).local).toEqual([[Cmd.NOMINATE, 13, Buffer.from(X).toString()]]);
    p.receive(ev(12, '/', { mutation: Buffer.from('nop:') }));
    expect(p.take('session:1')).toEqual([]);
  });

  it('with peers: INVITE/NOMINATE go to the others through the transport, RSVPs come back by peer-in, and a retry timer is kept', () => {
    const p = proposer('A', [cal('0', 'A'), cal('1', 'B'), cal('2', 'C')]);
    // 12 = 0 mod 3 is A's; it proposed its writable file there.
    const w = proposals(p);
    expect(w.peers.map((x) => [x[0], x[1], x[2]])).toEqual([[['B:1', 'C:1'], Cmd.NOMINATE, 12]]);
    expect(p.timers.get('tick')).toMatchObject({ msg: { type: 'tick' } });
    // The fast round times out: INVITE in A's own round (3).
    p.receive({ type: 'tick' } as never);
    const origNow = p.ctx.now;
    p.ctx.now = () => origNow() + 60_000; // well past every deadline
    p.receive({ type: 'tick' } as never);
    const inv = p.take(UDP_OUT).flatMap((m) => m.sends as { to: string[]; msg: PaxosMsg }[]).filter((s) => s.msg.cmd === Cmd.INVITE && s.msg.seqn === 12);
    expect(inv.map((s) => s.msg.crnd)).toEqual([3]);
    p.take(ACCEPTOR);
    // Its acceptor's RSVP and B's: a quorum; it nominates its value.
    const rsvp = (from: string) => p.receive({ type: 'peer-in', from, msgs: [{ cmd: Cmd.RSVP, seqn: 12, crnd: 3, vrnd: 0, value: new Uint8Array() }], at: 0 } as never);
    rsvp(LOCAL_SOURCE);
    rsvp('B:1');
    const nom = proposals(p);
    expect(nom.peers.map((x) => [x[1], x[2]])).toEqual([[Cmd.NOMINATE, 12]]);
    expect(nom.local.map((x) => [x[0], x[1]])).toEqual([[Cmd.NOMINATE, 12]]);
  });

  // Found by porting the core tests: openUpTo used to open only rev + alpha
  // after a jump (11 -> 100 opened 150; 101..149 never opened, and the store
  // could not move on). It opens max(prev + alpha, rev) + 1 .. rev + alpha.
  it('after the store jumps to a snapshot, the instances right after it open: a write goes to the next seqn', () => {
    const p = proposer('A', [cal('0', 'A')]);
    p.receive(ev(11, '/ctl/node/A/writable', { mutation: writable('A') }));
    proposals(p);
    // The store copied a snapshot at 100 (a follower fell out of history): 12..100 were skipped.
    p.receive({ ...(ev(100, '/') as object), snapshot: true } as never);
    propose(p, 'session:1', 5);
    // 101 is the next instance (opened by the store's version 101 - alpha, long passed).
    expect(proposals(p).local.map((x) => x[1])).toEqual([101]);
  });

  it('a restarted proposer answers the writes its predecessor held: they may or may not have been applied', () => {
    const durable = new Map<string, unknown>();
    const p = proposer('A', [cal('0', 'A')], { durable });
    p.receive(ev(11, '/ctl/node/A/writable', { mutation: writable('A') }));
    propose(p, 'session:1', 5);
    const again = startActor(PROPOSER, createProposer, { self: { id: 'A', addr: 'A:1' }, alpha: 50, fillMs: 100, seed: false } satisfies ProposerArgs, durable);
    expect(again.take('session:1')).toEqual([
      { type: 'proposed', tag: 5, err: { code: 'OTHER', text: 'the proposer restarted: this write may or may not have been applied; read it back to check' } },
    ]);
  });
});

describe('a full proposer mailbox: the write is answered "overloaded", never dropped', () => {
  it('SET and NOP through a session', () => {
    const s = startActor('session:1', createClientSession, { conn: 'conn:1', nodeId: 'A' });
    s.fullMailboxes.add(PROPOSER);
    s.receive({ type: 'request', req: { tag: 5, verb: Verb.SET, path: '/x', rev: -1, value: Buffer.from('v') } } as never);
    s.receive({ type: 'request', req: { tag: 6, verb: Verb.NOP } } as never);
    const answers = s.take('conn:1').map((m) => m.response);
    expect(answers).toEqual([
      { tag: 5, errCode: ErrCode.OTHER, errDetail: 'node overloaded: retry later' },
      { tag: 6, errCode: ErrCode.OTHER, errDetail: 'node overloaded: retry later' },
    ]);
    // The tags are free again.
    s.fullMailboxes.clear();
    s.receive({ type: 'request', req: { tag: 5, verb: Verb.SET, path: '/x', rev: -1, value: Buffer.from('v') } } as never);
    expect(s.take('conn:1')).toEqual([]);
    expect(s.take(PROPOSER)).toHaveLength(1);
  });

  it('DEL: the store checks it and forwards it to the proposer; a full mailbox is answered there', () => {
    const st = startActor('store', createStoreActor, { hist: 100 });
    st.fullMailboxes.add(PROPOSER);
    const forward = { type: 'propose', mutation: new Uint8Array(), replyTo: 'session:1', tag: 9 };
    st.receive({ type: 'check-del', path: '/missing-is-fine', forwardTo: PROPOSER, forward, replyTo: 'session:1', tag: 9 } as never);
    expect(st.take('session:1')).toEqual([
      { type: 'reply', tag: 9, response: { tag: 9, errCode: ErrCode.OTHER, errDetail: 'node overloaded: retry later' } },
    ]);
  });
});

describe('proposer: a restart with store events replayed ahead of its subscription', () => {
  it('skips store events that come before its store-cals, and opens every instance after the store-cals rev', () => {
    // A proposer that ran before (its durable state: writable at rev 20).
    const durable = new Map<string, unknown>();
    const first = proposer('A', [cal('0', 'A')], { rev: 10, durable });
    first.receive(ev(11, '/ctl/node/A/writable', { mutation: writable('A') }));
    for (let s = 12; s <= 20; s++) first.receive(ev(s, '/x', { mutation: X }));
    // Its thread died: the fresh instance first gets the unfinished store events (21, 22),
    // then its subscription's store-cals at rev 20 and the same events again.
    const args: ProposerArgs = { self: { id: 'A', addr: 'A:1' }, alpha: 50, fillMs: 100, seed: false };
    const p = startActor(PROPOSER, createProposer, args, durable);
    p.receive(ev(21, '/x', { mutation: X }));
    p.receive(ev(22, '/x', { mutation: X }));
    p.receive({ type: 'store-cals', rev: 20, cals: [cal('0', 'A')] } as never);
    p.receive(ev(21, '/x', { mutation: X }));
    p.receive(ev(22, '/x', { mutation: X }));
    // Still writable: a client's write goes to the next instance, not one alpha ahead
    // (the bug: 23..70 never opened, and writes waited forever).
    // The fresh core asks its acceptor for a round-1 lease: until it has one,
    // no fast path (its predecessor may have used round 1 in these seqns).
    const toAcceptor = p.take(ACCEPTOR);
    expect(toAcceptor.filter((m) => m.type === 'fast-want').length).toBeGreaterThan(0);
    expect(toAcceptor.filter((m) => m.type === 'peer-in')).toEqual([]);
    propose(p, 'session:1', 1);
    expect(proposals(p).local).toEqual([]); // held for the lease a moment
    p.receive({ type: 'fast-lease', from: 0, to: 1_000_000 } as never);
    expect(proposals(p).local).toEqual([[Cmd.NOMINATE, 23, Buffer.from(X).toString()]]);
  });
});

describe('proposer: only its learner settles a write (torture seed 2028)', () => {
  it('a store event it did not learn (a follower copy of a failed write) answers the write "may or may not", never OK, and does not propose it again', () => {
    const p = proposer('A', [cal('0', 'A'), cal('1', 'B'), cal('2', 'C')]);
    p.receive(ev(12, '/ctl/node/A/writable', { mutation: writable('A') }));
    p.receive({ type: 'decided', learned: [{ seqn: 12, value: writable('A') }] } as never);
    proposals(p);
    propose(p, 'session:1', 9); // goes to 15, the next instance A leads
    expect(proposals(p).local.map((x) => x[1])).toEqual([15]);
    // Cut off: the others chose it at 15, where it failed; this node, now copying
    // as a slave, sees only the follower's rebuilt change (a SET of /ctl/err).
    for (const s of [13, 14]) p.receive(ev(s, '/x', { mutation: X }));
    p.receive(ev(15, '/ctl/err', { mutation: encodeSet(-1, '/ctl/err', Buffer.from('rev mismatch')) }));
    const answers = p.take('session:1');
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ type: 'proposed', tag: 9, err: { code: 'OTHER' } });
    expect((answers[0] as unknown as { err: { text: string } }).err.text).toMatch(/may or may not/);
    expect(proposals(p).local).toEqual([]);
  });
});
