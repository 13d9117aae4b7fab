import { describe, expect, it } from 'vitest';
import { Membership } from '../../../src/actors/membership.js';
import type { CtlCal } from '../../../src/actors/store/ctl.js';

const slot = (slot: string, id: string): CtlCal => ({ slot, id, rev: 1, addr: id ? `${id}:1` : '', ours: true });

describe('membership (CAL from d + alpha)', () => {
  it('a node listed at its first version is a CAL of every later instance', () => {
    const m = new Membership('A', 50);
    m.start(6, [slot('0', 'A')]);
    expect(m.isCalAt(6)).toBe(false);
    expect(m.isCalAt(7)).toBe(true);
  });

  it('a slave that wins a slot at version d takes part from d + alpha', () => {
    const m = new Membership('B', 50);
    m.start(100, [slot('0', 'A'), slot('1', '')]);
    expect(m.isCalAt(101)).toBe(false);
    expect(m.update(120, [slot('0', 'A'), slot('1', 'B')])).toBe('joined');
    expect(m.isCalAt(169)).toBe(false);
    expect(m.isCalAt(170)).toBe(true);
  });

  it('a CAL unlisted at version e stops at e + alpha, and can join again', () => {
    const m = new Membership('B', 50);
    m.start(10, [slot('0', 'A'), slot('1', 'B')]);
    expect(m.update(30, [slot('0', 'A'), slot('1', '')])).toBe('removed');
    expect(m.removedAt).toBe(30);
    expect(m.isCalAt(79)).toBe(true);
    expect(m.isCalAt(80)).toBe(false);
    expect(m.update(31, [slot('0', 'A'), slot('1', '')])).toBeUndefined();
    expect(m.update(90, [slot('0', 'A'), slot('1', 'B')])).toBe('joined');
    expect(m.isCalAt(140)).toBe(true);
  });
});
