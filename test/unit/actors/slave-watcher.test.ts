// The slave-watcher (src/actors/slave-watcher.ts) on a fake context: a slave
// races for a free /ctl/cal/* slot with a compare-and-set through a CAL; a
// lost race is not run again at the same slot rev, a slot freed again is
// tried again, one lock is in flight at a time, and a winner stops trying.
import { beforeEach, describe, expect, it } from 'vitest';
import { createSlaveWatcher } from '../../../src/actors/slave-watcher.js';
import type { CtlCal } from '../../../src/actors/store/ctl.js';
import { FOLLOWER } from '../../../src/actors/follower-messages.js';
import { ErrCode, Verb } from '../../../src/wire/client-codec.js';
import { startActor, type FakeActor } from '../../helpers/fake-actor.js';

const cal = (slot: string, id: string, rev: number): CtlCal => ({ slot, id, rev, addr: id ? `${id.toLowerCase()}:8046` : '', ours: true });
const event = (seqn: number, cals?: CtlCal[]) => ({
  type: 'store-event',
  event: { seqn, path: cals ? '/ctl/cal/x' : '/x', body: new Uint8Array(), flags: 4, mutation: new Uint8Array() },
  ...(cals ? { cals } : {}),
}) as never;

/** The lock attempts (upstream SETs of a slot) sent since the last call. */
function locks(a: FakeActor): { path: string; rev: number; value: string; tag: number }[] {
  return a.take(FOLLOWER)
    .filter((m) => m.type === 'upstream-call')
    .map((m) => {
      const req = m.req as { verb: number; path: string; rev: number; value: Uint8Array };
      expect(req.verb).toBe(Verb.SET);
      return { path: req.path, rev: req.rev, value: Buffer.from(req.value).toString(), tag: m.tag as number };
    });
}

describe('slave-watcher', () => {
  let a: FakeActor;
  beforeEach(() => {
    a = startActor('slave-watcher', createSlaveWatcher, { nodeId: 'S', alpha: 50, nodeFiles: [] });
    a.receive({ type: 'store-cals', rev: 100, cals: [cal('0', 'A', 3), cal('1', '', 90)] } as never);
  });

  it('follows a CAL and races for the free slot with a compare-and-set of its id at the slot rev', () => {
    const follow = a.sent.find((s) => s.to === FOLLOWER && s.msg.type === 'follow');
    expect(follow?.msg).toMatchObject({ fromRev: 100, cals: ['a:8046'] });
    expect(locks(a)).toEqual([{ path: '/ctl/cal/1', rev: 90, value: 'S', tag: 1 }]);
    // One lock at a time: more events meanwhile send nothing new.
    a.receive(event(101));
    a.receive(event(102));
    expect(locks(a)).toEqual([]);
  });

  it('a lost race (REV_MISMATCH) is not run again at the same slot rev; a slot freed again is tried again', () => {
    expect(locks(a)).toHaveLength(1);
    a.receive({ type: 'reply', tag: 1, response: { tag: 1, errCode: ErrCode.REV_MISMATCH } } as never);
    expect(a.logs.some((l) => /^info: lost the race for \/ctl\/cal\/1/.test(l))).toBe(true);
    // The winner's id shows in the slot; nothing to try.
    a.receive(event(103, [cal('0', 'A', 3), cal('1', 'W', 103)]));
    expect(locks(a)).toEqual([]);
    // Still the same snapshot of the slot (e.g. an event that repeats the old list): not tried twice.
    a.receive(event(104, [cal('0', 'A', 3), cal('1', '', 90)]));
    expect(locks(a)).toEqual([]);
    // The winner is removed: the slot is free at a new rev, and it is tried at that rev.
    a.receive(event(200, [cal('0', 'A', 3), cal('1', '', 200)]));
    expect(locks(a)).toEqual([{ path: '/ctl/cal/1', rev: 200, value: 'S', tag: 1 }]);
  });

  it('a lost reply (error without a code it knows) frees it to try another free slot', () => {
    a.receive(event(101, [cal('0', 'A', 3), cal('1', '', 90), cal('2', '', 101)]));
    expect(locks(a)).toHaveLength(1); // slot 1 (in flight; slot 2 waits)
    a.receive({ type: 'reply', tag: 1, response: { tag: 1, errCode: ErrCode.OTHER } } as never); // e.g. the CAL went away
    const next = locks(a);
    expect(next).toEqual([{ path: '/ctl/cal/2', rev: 101, value: 'S', tag: 1 }]);
  });

  it('a won race: it becomes a CAL alpha revs later and tries no other slot', () => {
    a.receive(event(101, [cal('0', 'A', 3), cal('1', '', 90), cal('2', '', 101)]));
    expect(locks(a)).toHaveLength(1);
    a.receive({ type: 'reply', tag: 1, response: { tag: 1, rev: 102 } } as never);
    // Before the store reaches the lock's rev, no other slot is tried.
    expect(locks(a)).toEqual([]);
    a.receive(event(102, [cal('0', 'A', 3), cal('1', 'S', 102), cal('2', '', 101)]));
    expect(a.logs.some((l) => l === 'info: won a CAL slot at rev 102: a CAL from seqn 152')).toBe(true);
    const until = a.take(FOLLOWER).find((m) => m.type === 'follow-until');
    expect(until).toMatchObject({ until: 152 });
    a.receive(event(103));
    expect(locks(a)).toEqual([]);
  });
});

describe('slave-watcher: faults found by the torture run (issue 12)', () => {
  let a: FakeActor;
  const files = [{ path: '/ctl/node/S/addr', body: Buffer.from('s:8046') }, { path: '/ctl/node/S/version', body: Buffer.from('v') }];
  beforeEach(() => {
    a = startActor('slave-watcher', createSlaveWatcher, { nodeId: 'S', alpha: 50, nodeFiles: files });
    a.receive({ type: 'store-cals', rev: 100, cals: [cal('0', 'A', 3), cal('1', '', 90)] } as never);
  });

  it('a lock that failed for another reason than a lost race is tried again after a pause', () => {
    expect(locks(a)).toHaveLength(1);
    a.receive({ type: 'reply', tag: 1, response: { tag: 1, errCode: ErrCode.OTHER, errDetail: 'no CAL reachable' } } as never);
    expect(locks(a)).toEqual([]); // no other free slot: nothing at once
    const retry = [...a.timers.values()].find((t) => t.msg.type === 'retry');
    expect(retry?.delayMs).toBeGreaterThan(0);
    a.receive(retry!.msg);
    expect(locks(a)).toEqual([{ path: '/ctl/cal/1', rev: 90, value: 'S', tag: 1 }]);
  });

  it('a lost race (REV_MISMATCH) is not tried again at the same slot rev', () => {
    expect(locks(a)).toHaveLength(1);
    a.receive({ type: 'reply', tag: 1, response: { tag: 1, errCode: ErrCode.REV_MISMATCH } } as never);
    expect([...a.timers.values()].some((t) => t.msg.type === 'retry')).toBe(false);
    a.receive(event(101));
    expect(locks(a)).toEqual([]);
  });

  it('after a removal it writes its node files again and locks no slot before they are all confirmed', () => {
    a.receive({ type: 'reply', tag: 1, response: { tag: 1, rev: 101 } } as never);
    a.receive(event(101, [cal('0', 'A', 3), cal('1', 'S', 101)]));
    a.take(FOLLOWER);
    // Removed: slot emptied (its files deleted by the others).
    a.receive(event(200, [cal('0', 'A', 3), cal('1', '', 200)]));
    const sent = a.take(FOLLOWER).filter((m) => m.type === 'upstream-call');
    const paths = sent.map((m) => (m.req as { path: string }).path);
    expect(paths).toEqual(['/ctl/node/S/addr', '/ctl/node/S/version']);
    // One registration fails: no lock yet, the file is written again after a pause.
    a.receive({ type: 'reply', tag: sent[0]!.tag, response: { tag: sent[0]!.tag } } as never);
    a.receive({ type: 'reply', tag: sent[1]!.tag, response: { tag: sent[1]!.tag, errCode: ErrCode.OTHER } } as never);
    a.receive(event(201));
    expect(a.take(FOLLOWER).filter((m) => m.type === 'upstream-call')).toEqual([]);
    const again = [...a.timers.values()].find((t) => t.msg.type === 'register');
    a.receive(again!.msg);
    const resent = a.take(FOLLOWER).filter((m) => m.type === 'upstream-call');
    expect(resent.map((m) => (m.req as { path: string }).path)).toEqual(['/ctl/node/S/version']);
    a.receive({ type: 'reply', tag: resent[0]!.tag, response: { tag: resent[0]!.tag } } as never);
    // Registered: now it locks the free slot.
    expect(locks(a)).toEqual([{ path: '/ctl/cal/1', rev: 200, value: 'S', tag: 1 }]);
  });

  it('writes a node file again when it is deleted while the node lives (liveness racing its re-registration)', () => {
    expect(locks(a)).toHaveLength(1); // the first free slot, lost:
    a.receive({ type: 'reply', tag: 1, response: { tag: 1, errCode: ErrCode.REV_MISMATCH } } as never);
    a.receive({
      type: 'store-event',
      event: { seqn: 101, path: '/ctl/node/S/addr', body: new Uint8Array(), flags: 8, mutation: new Uint8Array() },
    } as never);
    const sent = a.take(FOLLOWER).filter((m) => m.type === 'upstream-call');
    expect(sent.map((m) => [(m.req as { path: string }).path, Buffer.from((m.req as { value: Uint8Array }).value).toString()])).toEqual([['/ctl/node/S/addr', 's:8046']]);
    // Until it is confirmed, no slot is locked.
    a.receive(event(102, [cal('0', 'A', 3), cal('1', '', 102)]));
    expect(locks(a)).toEqual([]);
    a.receive({ type: 'reply', tag: sent[0]!.tag, response: { tag: sent[0]!.tag } } as never);
    expect(locks(a)).toEqual([{ path: '/ctl/cal/1', rev: 102, value: 'S', tag: 1 }]);
  });

  it('never locks a second slot while one names it, even one that does not count yet (no address)', () => {
    expect(locks(a)).toHaveLength(1);
    a.receive({ type: 'reply', tag: 1, response: { tag: 1, rev: 101 } } as never);
    // Slot 1 names us, but our address file is missing (being written again): not listed yet.
    const mine = { slot: '1', id: 'S', rev: 101, addr: '', ours: true };
    a.receive(event(101, [cal('0', 'A', 3), mine, cal('2', '', 101)]));
    a.receive(event(102));
    expect(locks(a)).toEqual([]);
  });

  it('the follower may copy at most alpha - 1 revs past the store, and never an instance of its own', () => {
    const follow = a.sent.find((s) => s.to === FOLLOWER && s.msg.type === 'follow');
    expect(follow?.msg).toMatchObject({ fromRev: 100, until: 150 });
    a.take(FOLLOWER);
    a.receive(event(101));
    expect(a.take(FOLLOWER).find((m) => m.type === 'follow-until')).toMatchObject({ until: 151 });
  });
});
