import { describe, expect, it } from 'vitest';
import { ClusterView } from '../../../src/actors/cluster-view.js';
import { calListOf, peerEndpoint, type CtlCal } from '../../../src/actors/store/ctl.js';

const slot = (slot: string, id: string): CtlCal => ({ slot, id, rev: 1, addr: id ? `${id}:1` : '', ours: true });

describe('membership (CAL from d + alpha)', () => {
  it('a node listed at its first version is a CAL of every later instance', () => {
    const m = new ClusterView('A', 50);
    m.start(6, [slot('0', 'A')]);
    expect(m.isCalAt(6)).toBe(false);
    expect(m.isCalAt(7)).toBe(true);
  });

  it('a slave that wins a slot at version d takes part from d + alpha', () => {
    const m = new ClusterView('B', 50);
    m.start(100, [slot('0', 'A'), slot('1', '')]);
    expect(m.isCalAt(101)).toBe(false);
    expect(m.update(120, [slot('0', 'A'), slot('1', 'B')])).toBe('joined');
    expect(m.isCalAt(169)).toBe(false);
    expect(m.isCalAt(170)).toBe(true);
  });

  it('a CAL unlisted at version e stops at e + alpha, and can join again', () => {
    const m = new ClusterView('B', 50);
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

describe('CAL list from slots any client can write (issue 8: /ctl writes)', () => {
  const at = (s: string, id: string, addr: string): CtlCal => ({ slot: s, id, rev: 1, addr, ours: true });

  it('skips slots naming no node, a malformed address, or an id or address listed already', () => {
    const slots = [
      at('0', 'A', '127.0.0.1:8046'),
      at('1', 'NOSUCHNODE', ''),
      at('2', 'B', 'garbage'),
      at('3', 'C', '127.0.0.1:0'),
      at('4', 'D', '127.0.0.1:99999'),
      at('5', 'A', '127.0.0.1:8046'),
      at('6', 'E', '127.0.0.1:8046'),
      at('7', '\u0000\u00ff', '127.0.0.1:8047'.replace('8047', 'x')),
      at('8', 'F', '[::1]:8048'),
      at('9', 'G', 'host-1.example:8049'),
    ];
    expect(calListOf(slots).map((c) => c.id)).toEqual(['A', 'F', 'G']);
  });

  it('peerEndpoint accepts host:port only', () => {
    expect(peerEndpoint('127.0.0.1:8046')).toEqual({ host: '127.0.0.1', port: 8046 });
    expect(peerEndpoint('[::1]:1')).toEqual({ host: '::1', port: 1 });
    for (const bad of ['', ':8046', '127.0.0.1', '127.0.0.1:', '127.0.0.1:0', '127.0.0.1:65536', 'a b:1', 'a:1:x', 'NOSUCHNODE', '127.0.0.1:+80']) {
      expect(peerEndpoint(bad), bad).toBeUndefined();
    }
  });

  it('slots that list no CAL keep the previous list: the last CAL stays one', () => {
    const m = new ClusterView('A', 50);
    m.start(10, [at('0', 'A', '127.0.0.1:8046')]);
    expect(m.update(20, [at('0', 'NOSUCHNODE', '')])).toBeUndefined();
    expect(m.update(21, [])).toBeUndefined();
    expect(m.isCalAt(500)).toBe(true);
  });

  it('a bogus slot next to real ones does not make this node a member or unlist it', () => {
    const m = new ClusterView('B', 50);
    m.start(10, [at('0', 'A', '127.0.0.1:8046'), at('1', 'B', '127.0.0.1:8047')]);
    expect(m.update(20, [at('0', 'A', '127.0.0.1:8046'), at('1', 'B', '127.0.0.1:8047'), at('2', 'NOSUCHNODE', '')])).toBeUndefined();
    expect(m.update(30, [at('0', 'A', '127.0.0.1:8046'), at('1', 'B', 'garbage')])).toBe('removed');
  });
});

describe('openDue: the instances a store version makes due', () => {
  const due = (prev: number, rev: number, alpha: number): [number, string[]][] => {
    const v = new ClusterView('A', alpha);
    v.start(prev, [slot('0', 'A'), slot('1', 'B')]);
    const out: [number, string[]][] = [];
    v.openDue(prev, rev, (n, cals) => out.push([n, cals.map((c) => c.id)]));
    return out;
  };

  it('opens the seqns up to rev + alpha not open yet, each once, in order, with the current CAL list', () => {
    expect(due(10, 11, 3)).toEqual([[14, ['A', 'B']]]);
    expect(due(10, 13, 3).map(([n]) => n)).toEqual([14, 15, 16]);
    // A jump past the whole window (a snapshot): only rev + 1 .. rev + alpha.
    expect(due(10, 20, 3).map(([n]) => n)).toEqual([21, 22, 23]);
  });

  it('opens nothing when the store did not move forward', () => {
    expect(due(10, 10, 3)).toEqual([]);
    expect(due(10, 9, 3)).toEqual([]);
  });
});
