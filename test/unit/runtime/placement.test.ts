import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ALL_ON_MAIN,
  DEFAULT_PLACEMENT,
  PlacementError,
  autoPlacement,
  describePlacement,
  kindGroups,
  loadPlacement,
  parsePlacement,
  placeOf,
  poolThreads,
  workerThreads,
} from '../../../src/runtime/placement.js';
import { loadNodePlacement, nodeKinds } from '../../../src/node/node-placement.js';

const KINDS = ['client-session', 'consensus', 'proposer', 'pulse', 'store'];
const GROUPS = kindGroups(KINDS);
const parse = (raw: unknown) => parsePlacement(raw, KINDS, GROUPS);
const err = (raw: unknown): string => {
  try {
    parse(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(PlacementError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('placement', () => {
  it('accepts the documented shape and resolves kinds, groups and "*"', () => {
    const p = parse({ workers: ['core'], pool: 2, place: { store: 'core', consensus: 'core', 'client-session': 'pool', '*': 'main' } });
    expect(workerThreads(p)).toEqual(['core', 'pool-1', 'pool-2']);
    expect(poolThreads(p)).toEqual(['pool-1', 'pool-2']);
    expect(placeOf(p, 'store', GROUPS)).toBe('core');
    expect(placeOf(p, 'proposer', GROUPS)).toBe('core'); // via the consensus group
    expect(placeOf(p, 'client-session', GROUPS)).toBe('pool');
    expect(placeOf(p, 'pulse', GROUPS)).toBe('main');
  });

  it('a kind named exactly wins over its group, a group over "*"', () => {
    const p = parse({ workers: ['a', 'b'], place: { consensus: 'a', proposer: 'b', '*': 'b' } });
    expect(placeOf(p, 'proposer', GROUPS)).toBe('b');
    expect(placeOf(p, 'consensus', GROUPS)).toBe('a');
    expect(placeOf(p, 'store', GROUPS)).toBe('b');
    expect(placeOf(parse({}), 'store', GROUPS)).toBe('main');
  });

  it('the consensus group is the consensus kinds, or what kinds.ts declares', () => {
    expect(GROUPS.consensus).toEqual(['consensus', 'proposer']);
    expect(kindGroups(KINDS, { consensus: ['proposer'] }).consensus).toEqual(['proposer']);
  });

  it('errors name the bad key and the allowed values', () => {
    expect(err({ thread: 1 })).toBe('unknown key "thread"; allowed keys: "workers", "pool", "place", "comment"');
    expect(err({ place: { stor: 'main' } })).toBe(
      '"place": unknown actor kind "stor"; allowed: "client-session", "consensus", "proposer", "pulse", "store", "*"',
    );
    expect(err({ workers: ['core'], place: { store: 'cor' } })).toBe('"place.store": "cor" is not a thread; allowed: "main", "core"');
    expect(err({ place: { 'client-session': 'pool' } })).toBe(
      '"place.client-session": "pool" is not a thread ("pool" needs "pool": 1 or more); allowed: "main"',
    );
    expect(err({ pool: -1 })).toBe('"pool": must be an integer from 0 to 16, got -1');
    expect(err({ pool: 'two' })).toBe('"pool": must be an integer from 0 to 16, got "two"');
    expect(err({ workers: 'core' })).toMatch(/^"workers": must be an array/);
    expect(err({ workers: ['Core'] })).toMatch(/^"workers\[0\]": "Core" is not a thread name/);
    expect(err({ workers: ['main'] })).toMatch(/^"workers\[0\]": "main" is reserved/);
    expect(err({ workers: ['pool-1'] })).toMatch(/reserved/);
    expect(err({ workers: ['a', 'a'] })).toBe('"workers[1]": "a" is listed twice');
    expect(err({ workers: ['a'], pool: 16 })).toMatch(/at most 16 worker threads/);
    expect(err([])).toMatch(/must be a JSON object/);
    expect(err({ place: [] })).toMatch(/^"place": must be an object/);
  });

  it('loadPlacement prefixes errors with the file, and reports bad JSON and missing files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'placement-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"workers": ["core"], "place": {"store": "core",}}');
    expect(() => loadPlacement(bad, KINDS, GROUPS)).toThrow(new RegExp(`^placement ${bad}: not valid JSON`));
    expect(() => loadPlacement(join(dir, 'none.json'), KINDS, GROUPS)).toThrow(/cannot read it/);
    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, '{"pool": 1, "place": {"store": "pool-1"}}');
    expect(() => loadPlacement(wrong, KINDS, GROUPS)).toThrow(`placement ${wrong}: "place.store": "pool-1" is not a thread; allowed: "main", "pool"`);
  });

  it('the shipped examples are valid for the node\'s kinds', () => {
    for (const f of ['all-main.json', 'core-worker.json', 'session-pool.json']) {
      const p = loadNodePlacement(join('examples/placement', f));
      expect(p).toBeTruthy();
    }
    expect(nodeKinds().kinds).toContain('store');
    expect(loadNodePlacement(undefined)).toBe(DEFAULT_PLACEMENT);
    expect(loadNodePlacement('auto')).toBe(DEFAULT_PLACEMENT);
    expect(ALL_ON_MAIN.workers).toEqual([]);
  });
});

describe('auto placement', () => {
  it('worker threads from 4 cores on, every actor on main below, and says why', () => {
    for (const cores of [1, 2, 3]) {
      const p = autoPlacement(cores);
      expect(workerThreads(p)).toEqual([]);
      expect(describePlacement(p)).toBe(`auto, every actor on the main thread (${cores} core${cores === 1 ? '' : 's'} < 4)`);
    }
    for (const cores of [4, 64]) {
      const p = autoPlacement(cores);
      expect(workerThreads(p)).toEqual(['core']);
      expect(describePlacement(p)).toBe(`auto, store + consensus on worker thread core, the rest on main (${cores} cores >= 4)`);
      // By group, so it keeps working when the consensus kinds change.
      const groups = kindGroups(['store', 'acceptor', 'learner', 'proposer', 'client-session']);
      for (const k of ['store', 'acceptor', 'learner', 'proposer']) expect(placeOf(p, k, groups)).toBe('core');
      expect(placeOf(p, 'client-session', groups)).toBe('main');
      // Valid as a placement file would be.
      expect(parsePlacement({ workers: p.workers, pool: p.pool, place: p.place }, KINDS, GROUPS)).toEqual({ workers: p.workers, pool: p.pool, place: p.place });
    }
    expect(DEFAULT_PLACEMENT).toEqual(autoPlacement(availableParallelism()));
  });
});
