import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob, type Glob } from '../../../src/actors/store/glob.js';
import { addWait, countWaits, dropWaits, pendingOf, takeAnswered, takeUpTo, type PendingWait, type WaitIndex } from '../../../src/actors/store/wait-index.js';

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

  it('matches a plain sorted list under random adds, events, drops and jumps (10 watchers, windows in flight)', () => {
    const globs = [compileGlob('/**'), compileGlob('/a/*'), compileGlob('/b')];
    const op = fc.oneof(
      { arbitrary: fc.record({ k: fc.constant('add' as const), g: fc.nat(2), ahead: fc.integer({ min: -3, max: 40 }), s: fc.nat(9) }), weight: 6 },
      { arbitrary: fc.record({ k: fc.constant('event' as const), path: fc.constantFrom('/a/x', '/b', '/c') }), weight: 3 },
      { arbitrary: fc.record({ k: fc.constant('drop' as const), s: fc.nat(9) }), weight: 1 },
      { arbitrary: fc.record({ k: fc.constant('jump' as const), by: fc.nat(20) }), weight: 1 },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const idx: WaitIndex = new Map();
        let model: PendingWait[] = [];
        let rev = 0;
        let tag = 0;
        const key = (w: PendingWait): string => `${w.glob.pattern}|${w.rev}|${w.replyTo}|${w.tag}`;
        for (const o of ops) {
          if (o.k === 'add') {
            const w = wait(globs[o.g]!, Math.max(0, rev + o.ahead), tag++, `s${o.s}`);
            addWait(idx, w);
            model.push(w);
          } else if (o.k === 'event') {
            rev++;
            const got = takeAnswered(idx, rev, o.path);
            const want = model.filter((w) => w.rev <= rev && w.glob.matches(o.path));
            model = model.filter((w) => !want.includes(w));
            expect(got.map(key).sort()).toEqual(want.map(key).sort());
            // Within one pattern: ascending rev, ties in arrival order.
            for (const g of globs) {
              const mine = got.filter((w) => w.glob === g);
              expect(mine).toEqual([...mine].sort((x, y) => x.rev - y.rev || x.tag - y.tag));
            }
          } else if (o.k === 'drop') {
            dropWaits(idx, (w) => w.replyTo === `s${o.s}`);
            model = model.filter((w) => w.replyTo !== `s${o.s}`);
          } else {
            rev += o.by;
            const got = takeUpTo(idx, rev);
            const want = model.filter((w) => w.rev <= rev);
            model = model.filter((w) => w.rev > rev);
            expect(got.map(key).sort()).toEqual(want.map(key).sort());
          }
          expect(countWaits(idx)).toBe(model.length);
        }
        for (const [pattern, list] of idx) {
          const want = model.filter((w) => w.glob.pattern === pattern).sort((x, y) => x.rev - y.rev || x.tag - y.tag);
          expect(pendingOf(list)).toEqual(want);
        }
      }),
      { numRuns: 300 },
    );
  });
});
