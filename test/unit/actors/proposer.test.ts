// The proposer's refusals (src/actors/proposer.ts) and the overload answer
// of a write whose proposer mailbox is full (client session, store), on fake
// contexts: each READONLY says why, and no write is ever left unanswered.
import { describe, expect, it } from 'vitest';
import { createClientSession } from '../../../src/actors/client-session.js';
import { createProposer } from '../../../src/actors/proposer.js';
import { PROPOSER } from '../../../src/actors/proposer-messages.js';
import { createStoreActor } from '../../../src/actors/store/store-actor.js';
import type { CtlCal } from '../../../src/actors/store/ctl.js';
import { encodeSet } from '../../../src/actors/store/mutation.js';
import { ErrCode, Verb } from '../../../src/wire/client-codec.js';
import { startActor, type FakeActor } from '../../helpers/fake-actor.js';

const cal = (slot: string, id: string, rev = 3): CtlCal => ({ slot, id, rev, addr: id ? `${id}:1` : '', ours: true });
const ev = (seqn: number, path: string, cals?: CtlCal[]) => ({
  type: 'store-event',
  event: { seqn, path, body: new Uint8Array(), flags: 4, mutation: new Uint8Array() },
  ...(cals ? { cals } : {}),
}) as never;
const propose = (p: FakeActor, replyTo: string, tag: number): void =>
  p.receive({ type: 'propose', mutation: encodeSet(-1, '/x', Buffer.from('v')), replyTo, tag } as never);

function proposer(id: string, cals: CtlCal[], rev = 10): FakeActor {
  const p = startActor(PROPOSER, createProposer, { nodeId: id, alpha: 50, seed: false });
  p.receive({ type: 'store-cals', rev, cals } as never);
  return p;
}

describe('proposer: READONLY says why', () => {
  it('a slave: "this node is not a CAL", for clients and its own bookkeeping alike', () => {
    const p = proposer('S', [cal('0', 'A'), cal('1', '')]);
    propose(p, 'session:1', 7);
    propose(p, 'pulse', 8);
    expect(p.take('session:1')).toEqual([{ type: 'proposed', tag: 7, err: { code: 'READONLY', text: 'this node is not a CAL' } }]);
    expect(p.take('pulse')).toEqual([{ type: 'proposed', tag: 8, err: { code: 'READONLY', text: 'this node is not a CAL' } }]);
    expect(p.take('consensus').filter((m) => m.type === 'consensus-propose')).toEqual([]);
  });

  it('a CAL whose writable file is not applied yet: "not writable yet" for clients; its own writes go through', () => {
    const p = proposer('A', [cal('0', 'A')]);
    // It proposed its writable file; until the store applies it, clients are refused.
    const own = p.take('consensus').filter((m) => m.type === 'consensus-propose');
    expect(own).toHaveLength(1);
    propose(p, 'session:1', 1);
    expect(p.take('session:1')).toEqual([{ type: 'proposed', tag: 1, err: { code: 'READONLY', text: 'this node is not writable yet' } }]);
    propose(p, 'liveness', 2);
    expect(p.take('liveness')).toEqual([]);
    expect(p.take('consensus').filter((m) => m.type === 'consensus-propose')).toHaveLength(1);
    // The writable file applied: clients are served.
    p.receive(ev(11, '/ctl/node/A/writable'));
    propose(p, 'session:1', 3);
    expect(p.take('session:1')).toEqual([]);
    expect(p.take('consensus').filter((m) => m.type === 'consensus-propose')).toHaveLength(1);
  });

  it('a CAL removed from /ctl/cal: "no longer a CAL", and the writes queued in consensus are cancelled', () => {
    const p = proposer('B', [cal('0', 'A'), cal('1', 'B')]);
    p.receive(ev(11, '/ctl/node/B/writable'));
    p.take('consensus');
    propose(p, 'session:1', 1);
    expect(p.take('consensus')).toHaveLength(1);
    p.receive(ev(12, '/ctl/cal/1', [cal('0', 'A'), cal('1', '', 12)]));
    expect(p.take('consensus')).toContainEqual({ type: 'consensus-cancel' });
    expect(p.logs).toContain('warn: no longer a CAL (removed at rev 12): refusing writes');
    propose(p, 'session:2', 2);
    propose(p, 'pulse', 3);
    expect(p.take('session:2')).toEqual([{ type: 'proposed', tag: 2, err: { code: 'READONLY', text: 'this node is no longer a CAL' } }]);
    expect(p.take('pulse')).toEqual([{ type: 'proposed', tag: 3, err: { code: 'READONLY', text: 'this node is no longer a CAL' } }]);
    // The queued write: consensus answers "cancelled, removed" and the session hears READONLY.
    p.receive({ type: 'cancelled', ids: [2], why: 'removed' } as never);
    expect(p.take('session:1')).toEqual([{ type: 'proposed', tag: 1, err: { code: 'READONLY', text: 'this node is no longer a CAL' } }]);
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
