// The liveness actor (src/actors/liveness.ts) on a fake context: a CAL
// silent for -timeout is removed (slot emptied at its rev, then its node
// files), a paused process gives every peer a full timeout, and a removal
// that fails is tried again.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLiveness } from '../../../src/actors/liveness.js';
import { PROPOSER } from '../../../src/actors/proposer-messages.js';
import type { CtlCal } from '../../../src/actors/store/ctl.js';
import { decodeMutation } from '../../../src/actors/store/mutation.js';
import { startActor, type FakeActor } from '../../helpers/fake-actor.js';

const TIMEOUT = 2000;
const CHECK = TIMEOUT / 2; // the actor checks every timeout/2
const cal = (slot: string, id: string, rev = 5): CtlCal => ({ slot, id, rev, addr: id ? `10.0.0.${slot}:8046` : '', ours: true });
const SLOTS = [cal('0', 'A'), cal('1', 'B'), cal('2', 'C')];

/** What the actor proposed since the last call: decoded mutations with their tags. */
function proposals(a: FakeActor): { tag: number; kind: string; rev?: number; path?: string; body?: string }[] {
  return a.take(PROPOSER).map((m) => {
    const d = decodeMutation(m.mutation as Uint8Array);
    return {
      tag: m.tag as number,
      kind: d.kind,
      ...('rev' in d ? { rev: d.rev } : {}),
      ...('path' in d ? { path: d.path } : {}),
      ...('body' in d ? { body: Buffer.from(d.body).toString() } : {}),
    };
  });
}

describe('liveness', () => {
  let t = 1_000_000;
  let a: FakeActor;
  /** Advance the clock by `ms` and deliver the check timer, as the runtime would. */
  const tick = (ms = CHECK): void => {
    t += ms;
    vi.setSystemTime(t);
    expect(a.timers.get('check')?.delayMs).toBe(CHECK);
    a.receive({ type: 'check' });
  };
  const hear = (addr: string): void => a.receive({ type: 'heard', peers: [addr] } as never);

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(t);
    a = startActor('liveness', createLiveness, { nodeId: 'A', alpha: 50, timeoutMs: TIMEOUT });
    expect(a.take('store')).toMatchObject([{ type: 'subscribe', withCals: true }]);
    a.receive({ type: 'store-cals', rev: 100, cals: SLOTS } as never);
    tick(); // first check as a CAL: a grace period for everyone
    expect(proposals(a)).toEqual([]);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('removes a CAL silent for -timeout, empties its slot at the slot rev, then deletes its node files', () => {
    // B is heard regularly, C never: half a timeout later nothing happens...
    hear('10.0.0.1:8046');
    tick();
    expect(proposals(a), 'within the timeout').toEqual([]);
    // ... a full timeout after the grace began, C goes.
    hear('10.0.0.1:8046');
    tick();
    const p = proposals(a);
    expect(p).toEqual([{ tag: 1, kind: 'set', rev: 5, path: '/ctl/cal/2', body: '' }]);
    expect(a.logs.some((l) => /^warn: CAL C at 10\.0\.0\.2:8046 silent for \d+ s/.test(l))).toBe(true);
    // While the removal is in flight, C is not proposed again.
    hear('10.0.0.1:8046');
    tick();
    expect(proposals(a)).toEqual([]);
    // Once the slot is emptied, its node files go.
    a.receive({ type: 'proposed', tag: 1, seqn: 120 } as never);
    expect(proposals(a).map((x) => `${x.kind} ${x.path}`).sort()).toEqual(
      ['addr', 'applied', 'features', 'hostname', 'version', 'writable'].map((f) => `del /ctl/node/C/${f}`),
    );
  });

  it('a node that enters a slot again gets a full timeout from then, whatever was heard of its address before', () => {
    const ev = (seqn: number, cals: CtlCal[]) => ({ type: 'store-event', event: { seqn, path: '/ctl/cal/2', body: new Uint8Array(), flags: 4, mutation: new Uint8Array() }, cals }) as never;
    hear('10.0.0.1:8046');
    hear('10.0.0.2:8046');
    // C leaves its slot (removed); long silence from its address meanwhile.
    a.receive(ev(110, [cal('0', 'A'), cal('1', 'B'), cal('2', '', 110)]));
    for (let i = 0; i < 4; i++) {
      hear('10.0.0.1:8046');
      tick();
    }
    expect(proposals(a)).toEqual([]);
    // C wins the slot again: it is not judged on its old silence.
    a.receive(ev(130, [cal('0', 'A'), cal('1', 'B'), cal('2', 'C', 130)]));
    hear('10.0.0.1:8046');
    tick();
    expect(proposals(a), 'right after it re-entered').toEqual([]);
    // Silent a full timeout after re-entering: now it goes.
    hear('10.0.0.1:8046');
    tick();
    hear('10.0.0.1:8046');
    tick();
    expect(proposals(a).map((x) => x.path)).toEqual(['/ctl/cal/2']);
  });

  it('after a pause of this process (checks late), gives every peer a full timeout before judging', () => {
    hear('10.0.0.1:8046');
    hear('10.0.0.2:8046');
    tick();
    // Paused for 10 timeouts: nobody was heard, but neither did we listen.
    tick(10 * TIMEOUT);
    expect(proposals(a), 'no one removed right after a pause').toEqual([]);
    expect(a.logs.some((l) => /^info: checks were \d+ ms late \(paused\?\)/.test(l))).toBe(true);
    tick();
    expect(proposals(a), 'nor within the timeout that follows').toEqual([]);
    // B speaks, C stays silent: only C goes, once a full timeout passed.
    hear('10.0.0.1:8046');
    tick();
    expect(proposals(a).map((x) => x.path)).toEqual(['/ctl/cal/2']);
  });

  it('tries again after a failed removal (the slot changed meanwhile), with the new slot rev', () => {
    hear('10.0.0.1:8046');
    tick();
    hear('10.0.0.1:8046');
    tick();
    const first = proposals(a);
    expect(first.map((x) => x.path)).toEqual(['/ctl/cal/2']);
    // C's removal loses a race (its slot file changed at rev 130).
    a.receive({ type: 'proposed', tag: first[0]!.tag, err: { code: 'REV_MISMATCH', text: 'rev mismatch' } } as never);
    expect(proposals(a), 'no node files deleted for a failed removal').toEqual([]);
    a.receive({
      type: 'store-event',
      event: { seqn: 131, path: '/ctl/cal/2', body: new Uint8Array(), flags: 4, mutation: new Uint8Array() },
      cals: [cal('0', 'A'), cal('1', 'B'), cal('2', 'C', 130)],
    } as never);
    // Still silent: judged again at the next check, at the slot's new rev.
    hear('10.0.0.1:8046');
    tick();
    expect(proposals(a)).toMatchObject([{ kind: 'set', path: '/ctl/cal/2', rev: 130, body: '' }]);
  });

  it('a node that hears from fewer than a quorum of CALs (cut off itself) judges no one', () => {
    // Neither B nor C is heard: A is most likely the one cut off.
    for (let i = 0; i < 6; i++) tick();
    expect(proposals(a)).toEqual([]);
    expect(a.logs.some((l) => /heard from only 1 of 3 CALs/.test(l))).toBe(true);
    // Once B is heard again (a quorum with A), C, still silent, is judged.
    hear('10.0.0.1:8046');
    tick();
    expect(proposals(a).map((x) => x.path)).toEqual(['/ctl/cal/2']);
  });

  it('a node that is not a CAL (or was removed) judges no one', () => {
    a.receive({
      type: 'store-event',
      event: { seqn: 140, path: '/ctl/cal/0', body: new Uint8Array(), flags: 4, mutation: new Uint8Array() },
      cals: [cal('0', '', 140), cal('1', 'B'), cal('2', 'C')],
    } as never);
    // Unlisted at 140: from 190 on it is no CAL; its checks judge no one at any time.
    a.receive({ type: 'store-event', event: { seqn: 200, path: '/x', body: new Uint8Array(), flags: 4, mutation: new Uint8Array() } } as never);
    for (let i = 0; i < 6; i++) tick();
    expect(proposals(a)).toEqual([]);
  });
});
