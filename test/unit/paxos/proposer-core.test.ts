// ProposerCore (src/actors/paxos/proposer-core.ts) on its own: write
// outcomes (written, requeued, unknown), seen() hints, floors.
import { describe, expect, it } from 'vitest';
import { ProposerCore } from '../../../src/actors/paxos/proposer-core.js';
import { Cmd, LOCAL_SOURCE, NOP_VALUE, type PaxosMsg } from '../../../src/actors/paxos/types.js';
import { cals, dec, enc } from './harness.js';

const H1 = 'h1:1';
const E = new Uint8Array();

function core(opts = {}): ProposerCore {
  const p = new ProposerCore({ self: cals(3)[0]!, rng: () => 0.5, alpha: 5, ...opts });
  for (let s = 1; s <= 10; s++) p.open(s, cals(3), 0);
  p.drain();
  return p;
}
const rsvp = (seqn: number, crnd: number, vrnd = 0, value = E): PaxosMsg => ({ cmd: Cmd.RSVP, seqn, crnd, vrnd, value });

describe('ProposerCore: write outcomes', () => {
  it('applied() of an instance its write was proposed in, never decided here (a skipped instance), reports the write unknown', () => {
    const p = core();
    const id = p.propose(enc('w'), 0); // at 3, its first led instance
    const queued = p.propose(enc('q'), 0); // at 6
    p.drain();
    p.applied(4); // the store jumped to a snapshot at 4
    const r = p.drain();
    expect(r.unknown).toEqual([id]);
    expect(r.written).toEqual([]);
    expect(p.pendingWrites()).toEqual([queued]);
    expect(p.inspect().low).toBe(5);
    // Not reported again, and not retried elsewhere.
    p.applied(5);
    p.tick(1000);
    const r2 = p.drain();
    expect(r2.unknown).toEqual([]);
    expect(r2.sends.some((s) => dec(s.msg.value) === 'w')).toBe(false);
  });

  it('a write decided before the store applies it is written, not unknown', () => {
    const p = core();
    const id = p.propose(enc('w'), 0);
    p.drain();
    p.decided(3, enc('w'), 1);
    p.applied(3);
    const r = p.drain();
    expect(r.written).toEqual([{ id, seqn: 3 }]);
    expect(r.unknown).toEqual([]);
  });

  it('a write that lost its instance is proposed again at the next one it leads; decided() twice changes nothing', () => {
    const p = core();
    const id = p.propose(enc('w'), 0);
    p.drain();
    p.decided(3, NOP_VALUE, 1);
    p.decided(3, enc('w'), 1);
    const r = p.drain();
    expect(r.written).toEqual([]);
    expect(r.sends.filter((s) => s.msg.cmd === Cmd.NOMINATE).map((s) => [s.msg.seqn, dec(s.msg.value)])).toEqual([[6, 'w']]);
    expect(p.inspect().instances.find((i) => i.seqn === 6)!.writeId).toBe(id);
  });

  it('cancel() withdraws a queued write only', () => {
    const p = new ProposerCore({ self: cals(3)[0]!, rng: () => 0.5 });
    p.open(1, cals(3), 0);
    p.open(2, cals(3), 0);
    const queued = p.propose(enc('a'), 0); // no open instance led by IDA: queued
    expect(p.cancel(queued)).toBe(true);
    p.open(3, cals(3), 0);
    const placed = p.propose(enc('b'), 0);
    expect(p.cancel(placed)).toBe(false);
    expect(p.pendingWrites()).toEqual([placed]);
  });
});

describe('ProposerCore: hints and floors', () => {
  it('seen(used) schedules fills below the instance in use; its own RSVP (LOCAL_SOURCE) counts as its acceptor', () => {
    const p = core();
    p.seen(2, [], 0);
    expect(p.drain().wakeAt).toBe(100);
    p.tick(100);
    const r = p.drain();
    expect(r.sends.filter((s) => s.msg.cmd === Cmd.INVITE).map((s) => [s.msg.seqn, s.msg.crnd])).toEqual([
      [1, 3],
      [2, 3],
    ]);
    expect(r.local.map((x) => [x.cmd, x.seqn])).toEqual([
      [Cmd.INVITE, 1],
      [Cmd.INVITE, 2],
    ]);
    p.receive(LOCAL_SOURCE, rsvp(1, 3), 101);
    expect(p.drain().sends).toEqual([]);
    p.receive('evil:1', rsvp(1, 3), 101);
    expect(p.drain().sends).toEqual([]);
    p.receive(H1, rsvp(1, 3), 101);
    const nom = p.drain().sends.find((s) => s.msg.cmd === Cmd.NOMINATE)!;
    expect([nom.msg.seqn, nom.msg.crnd, dec(nom.msg.value)]).toEqual([1, 3, 'nop:']);
  });

  it('seen(promised) sets the floor of an open instance, and of one not open yet, for its coordinator', () => {
    const p = core();
    p.seen(0, [[3, 7], [12, 20]], 0);
    expect(p.inspect().instances.find((i) => i.seqn === 3)!.floor).toBe(7);
    p.propose(enc('w'), 0); // at 3: no fast path above a promise, INVITE above 7
    expect(p.drain().sends.map((s) => [s.msg.cmd, s.msg.seqn, s.msg.crnd])).toEqual([[Cmd.INVITE, 3, 9]]);
    p.open(11, cals(3), 0);
    p.open(12, cals(3), 0);
    expect(p.inspect().instances.find((i) => i.seqn === 12)!.floor).toBe(20);
  });

  it('ignores anything but RSVP, and RSVPs for instances it runs no round in', () => {
    const p = core();
    p.receive(H1, { cmd: Cmd.VOTE, seqn: 3, crnd: 1, vrnd: 1, value: enc('x') }, 0);
    p.receive(H1, rsvp(3, 3), 0);
    p.receive(H1, rsvp(99, 3), 0);
    expect(p.drain()).toMatchObject({ sends: [], local: [], written: [], unknown: [], wakeAt: Infinity });
  });
});
