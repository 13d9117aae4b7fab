import { describe, expect, it } from 'vitest';
import { compileGlob, type Glob } from '../../../src/actors/store/glob.js';
import { addWait, countWaits, dropWaits, pendingOf, takeAnswered, type PendingWait, type WaitIndex } from '../../../src/actors/store/wait-index.js';

/** A glob that counts its matches() calls. */
function counting(pattern: string): Glob & { tests: number } {
  const g = compileGlob(pattern);
  const c = { pattern, tests: 0, matches: (p: string) => (c.tests++, g.matches(p)), mayMatchBelow: (d: string) => g.mayMatchBelow(d) };
  return c;
}

const wait = (glob: Glob, rev: number, tag: number, replyTo = 's'): PendingWait => ({ glob, rev, replyTo, tag });

describe('wait index', () => {
  it('answers, per event, exactly the WAITs at or below its rev whose glob matches, testing each pattern once', () => {
    const all = counting('/**');
    const narrow = counting('/a/*');
    const idx: WaitIndex = new Map();
    // 10 watchers of /** with 32 WAITs each, at revs 1..32.
    for (let w = 0; w < 10; w++) for (let r = 1; r <= 32; r++) addWait(idx, wait(all, r, w * 100 + r, `s${w}`));
    addWait(idx, wait(narrow, 5, 999));
    expect(countWaits(idx)).toBe(321);

    const first = takeAnswered(idx, 1, '/x');
    expect(first.map((w) => w.rev)).toEqual(Array(10).fill(1));
    expect(all.tests).toBe(1);
    expect(narrow.tests).toBe(0); // its WAIT is at rev 5: not even tested

    for (let r = 2; r <= 32; r++) expect(takeAnswered(idx, r, '/x')).toHaveLength(10);
    expect(all.tests).toBe(32); // one test per event, not one per waiter
    expect(narrow.tests).toBe(28); // revs 5..32, never matched
    expect(countWaits(idx)).toBe(1);
    expect(takeAnswered(idx, 33, '/a/b').map((w) => w.tag)).toEqual([999]);
    expect(idx.size).toBe(0);
  });

  it('a late event answers every WAIT below it; WAITs out of order are kept sorted', () => {
    const g = compileGlob('/**');
    const idx: WaitIndex = new Map();
    for (const r of [7, 3, 9, 3, 5]) addWait(idx, wait(g, r, r * 10 + idx.size));
    expect(pendingOf(idx.get('/**')!).map((w) => w.rev)).toEqual([3, 3, 5, 7, 9]);
    expect(takeAnswered(idx, 6, '/z').map((w) => w.rev)).toEqual([3, 3, 5]);
    expect(takeAnswered(idx, 6, '/z')).toEqual([]);
    expect(pendingOf(idx.get('/**')!).map((w) => w.rev)).toEqual([7, 9]);
  });

  it('drops the WAITs of a session (or one tag) and forgets empty patterns', () => {
    const a = compileGlob('/a/**');
    const b = compileGlob('/b');
    const idx: WaitIndex = new Map();
    addWait(idx, wait(a, 1, 1, 's1'));
    addWait(idx, wait(a, 2, 2, 's2'));
    addWait(idx, wait(b, 1, 3, 's1'));
    dropWaits(idx, (w) => w.replyTo === 's1');
    expect([...idx.keys()]).toEqual(['/a/**']);
    expect(countWaits(idx)).toBe(1);
    dropWaits(idx, (w) => w.tag === 2);
    expect(idx.size).toBe(0);
  });
});
