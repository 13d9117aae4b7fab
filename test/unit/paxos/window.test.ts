// InstanceWindow (src/actors/paxos/window.ts): the per-role window of open
// instances, the messages held for instances not open yet, and the CAL
// configurations the instances share.
import { describe, expect, it } from 'vitest';
import { CalConfig } from '../../../src/actors/paxos/cals.js';
import { Cmd, type PaxosMsg } from '../../../src/actors/paxos/types.js';
import { InstanceWindow } from '../../../src/actors/paxos/window.js';
import { cals } from './harness.js';

interface E {
  seqn: number;
  cfg: CalConfig;
}
const make = (seqn: number, cfg: CalConfig): E => ({ seqn, cfg });
const m = (seqn: number, cmd: number = Cmd.VOTE): PaxosMsg => ({ cmd, seqn, crnd: 1, vrnd: 1, value: new Uint8Array() });
const win = (holdAhead = 10, maxHeld?: number) =>
  new InstanceWindow<E>({ selfId: 'IDA', holdAhead, ...(maxHeld !== undefined ? { maxHeld } : {}) }, make);

describe('InstanceWindow', () => {
  it('opens each instance once; low and high follow', () => {
    const w = win();
    expect([w.low, w.high, w.size, w.lastCfg]).toEqual([0, 0, 0, null]);
    expect(w.open(3, cals(3))!.entry.seqn).toBe(3);
    expect(w.open(3, cals(3))).toBeUndefined();
    w.open(4, cals(3));
    expect([w.low, w.high, w.size]).toEqual([3, 4, 2]);
    expect(w.get(4)!.seqn).toBe(4);
    expect(w.get(5)).toBeUndefined();
  });

  it('holds messages for instances not open yet and hands them back, in order, when theirs opens', () => {
    const w = win();
    w.open(1, cals(3));
    expect(w.hold('h1:1', m(3))).toBe(true);
    expect(w.hold('h2:1', m(3, Cmd.LEARN))).toBe(true);
    expect(w.hold('h2:1', m(2))).toBe(true);
    expect(w.heldMessages).toBe(3);
    const o3 = w.open(3, cals(3))!;
    expect(o3.held.map((h) => [h.from, h.m.cmd])).toEqual([
      ['h1:1', Cmd.VOTE],
      ['h2:1', Cmd.LEARN],
    ]);
    expect(w.heldMessages).toBe(1);
    expect(w.open(2, cals(3))!.held.map((h) => h.from)).toEqual(['h2:1']);
    expect(w.heldMessages).toBe(0);
    expect(w.open(4, cals(3))!.held).toEqual([]);
  });

  it('bounds what it holds: at most maxHeld, and no further than holdAhead beyond the highest open', () => {
    const w = win(5, 2);
    w.open(1, cals(3));
    expect(w.hold('a', m(7))).toBe(false); // 1 + 5 < 7
    expect(w.hold('a', m(6))).toBe(true);
    expect(w.hold('a', m(2))).toBe(true);
    expect(w.hold('a', m(3))).toBe(false); // full
    expect(w.heldMessages).toBe(2);
    // Before any open, nothing is too far ahead.
    const fresh = win(5);
    expect(fresh.hold('a', m(1000))).toBe(true);
  });

  it('holdEarly holds like hold and says whether the sender is a CAL of the highest open instance, kept or not', () => {
    const w = win(5, 3);
    expect(w.holdEarly('h1:1', m(2))).toBe(false); // nothing open: no CAL list yet
    w.open(1, cals(3));
    expect(w.holdEarly('h1:1', m(3))).toBe(true);
    expect(w.holdEarly('h9:1', m(3))).toBe(false); // not a CAL
    expect(w.heldMessages).toBe(3);
    expect(w.holdEarly('h2:1', m(4))).toBe(true); // full, dropped: still a CAL's use
    expect(w.holdEarly('h9:1', m(50))).toBe(false); // dropped, not a CAL
    expect(w.heldMessages).toBe(3);
    expect(w.open(3, cals(3))!.held.map((h) => h.from)).toEqual(['h1:1', 'h9:1']);
  });

  it('dropBelow drops instances and their held messages; dropped ones never open again', () => {
    const w = win();
    for (let s = 1; s <= 5; s++) w.open(s, cals(3));
    w.hold('a', m(8));
    const dropped: number[] = [];
    w.dropBelow(4, (_e, s) => dropped.push(s));
    expect(dropped).toEqual([1, 2, 3]);
    expect([w.low, w.high, w.size]).toEqual([4, 5, 2]);
    expect(w.open(2, cals(3))).toBeUndefined();
    // Past the highest open: the held message of 8 goes too, and low moves on.
    w.dropBelow(9);
    expect([w.low, w.size, w.heldMessages]).toEqual([9, 0, 0]);
    expect(w.open(8, cals(3))).toBeUndefined();
    expect(w.open(9, cals(3))!.entry.seqn).toBe(9);
  });

  it('dropBelow stops at an instance `keep` vetoes, and tries it again next time', () => {
    const w = win();
    for (let s = 1; s <= 5; s++) w.open(s, cals(3));
    let veto = true;
    w.dropBelow(5, undefined, (_e, s) => veto && s === 3);
    expect([w.low, w.size]).toEqual([3, 3]);
    veto = false;
    w.dropBelow(5);
    expect([w.low, w.size]).toEqual([5, 1]);
  });

  it('instances with the same CAL list share one CalConfig; an empty list reuses the previous one', () => {
    const w = win();
    const a = w.open(1, cals(3))!.entry.cfg;
    const b = w.open(2, [...cals(3)].reverse())!.entry.cfg; // same list, another order
    const c = w.open(3, [])!.entry.cfg;
    expect(b).toBe(a);
    expect(c).toBe(a);
    const d = w.open(4, cals(4))!.entry.cfg;
    expect(d).not.toBe(a);
    expect(d.k).toBe(4);
    expect(w.lastCfg).toBe(d);
    // An instance opened below the highest takes the list of its predecessor when given none.
    const w2 = win();
    w2.open(1, cals(3));
    w2.open(5, cals(4));
    expect(w2.open(2, [])!.entry.cfg.k).toBe(3);
    // Nothing opened yet and no list: no CALs (this node takes no part).
    const w3 = win();
    const e = w3.open(1, [])!.entry.cfg;
    expect([e.k, e.myIndex]).toEqual([0, -1]);
  });
});
