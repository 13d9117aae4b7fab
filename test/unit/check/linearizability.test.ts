// The linearizability checker must accept histories a correct store can
// produce and reject the ones it cannot; each rejecting case is a bug class
// a real cluster could show.
import { describe, expect, it } from 'vitest';
import type { FileOp } from '../../../src/check/history.js';
import { checkHistory } from '../../../src/check/linearizability.js';
import { checkLinearizable } from '../../../src/check/wgl.js';
import { fileModel } from '../../../src/check/register-model.js';

let nextId = 0;
const U = Infinity;
type Extra = Partial<FileOp>;
function read(client: string, t0: number, t1: number, value: string, rev: number, x: Extra = {}): FileOp {
  return { id: nextId++, f: 'read', client, path: '/r', invoke: t0, complete: t1, outcome: 'ok', value, rev, ...x } as FileOp;
}
function set(client: string, t0: number, t1: number, value: string, cond: number, rev: number | 'mismatch' | 'unknown', x: Extra = {}): FileOp {
  const outcome = rev === 'mismatch' ? 'fail' : rev === 'unknown' ? 'unknown' : 'ok';
  return {
    id: nextId++, f: 'set', client, path: '/r', invoke: t0, complete: rev === 'unknown' ? U : t1, outcome, value, cond,
    ...(typeof rev === 'number' ? { rev } : {}), ...(rev === 'mismatch' ? { error: 'REV_MISMATCH' } : {}), ...x,
  } as FileOp;
}
function del(client: string, t0: number, t1: number, cond: number, outcome: 'ok' | 'fail' | 'unknown' = 'ok', x: Extra = {}): FileOp {
  return { id: nextId++, f: 'del', client, path: '/r', invoke: t0, complete: outcome === 'unknown' ? U : t1, outcome, cond, ...(outcome === 'fail' ? { error: 'REV_MISMATCH' } : {}), ...x } as FileOp;
}
const verdict = (h: FileOp[]): string => checkHistory(h).verdict;

describe('linearizability checker: accepts', () => {
  it('an empty history and a sequential one', () => {
    expect(verdict([])).toBe('ok');
    expect(verdict([set('a', 0, 1, 'x', 0, 5), read('b', 2, 3, 'x', 5), set('a', 4, 5, 'y', 5, 9), read('b', 6, 7, 'y', 9)])).toBe('ok');
  });

  it('a read concurrent with a write that sees either value', () => {
    const w = set('a', 0, 10, 'x', -1, 4);
    expect(verdict([w, read('b', 1, 2, '', 0)])).toBe('ok');
    expect(verdict([set('a', 0, 10, 'x', -1, 4), read('b', 1, 2, 'x', 4)])).toBe('ok');
  });

  it('concurrent CAS at the same rev: one wins, the other gets REV_MISMATCH', () => {
    const h = [set('a', 0, 1, 'x', 0, 3), set('a', 2, 10, 'y', 3, 7), set('b', 2, 10, 'z', 3, 'mismatch'), read('c', 11, 12, 'y', 7)];
    expect(verdict(h)).toBe('ok');
  });

  it('a CAS with a rev above the file rev applies (r >= rev, not only equal)', () => {
    expect(verdict([set('a', 0, 1, 'x', 0, 3), set('a', 2, 3, 'y', 100, 8)])).toBe('ok');
  });

  it('an unknown write that happened (a later read sees it) and one that did not', () => {
    const seen = [set('a', 0, 1, 'x', -1, 2), set('b', 2, 0, 'lost?', -1, 'unknown'), read('c', 5, 6, 'lost?', 9)];
    expect(verdict(seen)).toBe('ok');
    const unseen = [set('a', 0, 1, 'x', -1, 2), set('b', 2, 0, 'lost?', -1, 'unknown'), read('c', 5, 6, 'x', 2)];
    expect(verdict(unseen)).toBe('ok');
  });

  it('an unknown write that takes effect much later, after other writes', () => {
    const h = [set('b', 0, 0, 'late', -1, 'unknown'), set('a', 1, 2, 'x', -1, 5), read('c', 3, 4, 'x', 5), read('c', 10, 11, 'late', 12)];
    expect(verdict(h)).toBe('ok');
  });

  it('deletes, create-only writes and REV_MISMATCH after a delete', () => {
    const h = [set('a', 0, 1, 'x', 0, 3), del('a', 2, 3, 3), read('b', 4, 5, '', 0), set('b', 6, 7, 'y', 0, 9), set('a', 8, 9, 'z', 0, 'mismatch')];
    expect(verdict(h)).toBe('ok');
  });

  it('local (possibly stale) reads are not held to linearizability', () => {
    const h = [set('a', 0, 1, 'x', -1, 3), set('a', 2, 3, 'y', -1, 5), read('b', 4, 5, 'x', 3, { local: true } as Extra)];
    expect(verdict(h)).toBe('ok');
  });

  it('refused ops (READONLY) are ignored', () => {
    const h = [set('a', 0, 1, 'x', -1, 3), { ...set('a', 2, 3, 'nope', -1, 'mismatch'), error: 'READONLY' } as FileOp, read('b', 4, 5, 'x', 3)];
    expect(verdict(h)).toBe('ok');
  });
});

describe('linearizability checker: rejects', () => {
  it('a stale read (a write completed before the read began, the read misses it)', () => {
    const r = checkHistory([set('a', 0, 1, 'x', -1, 3), set('a', 2, 3, 'y', -1, 5), read('b', 4, 5, 'x', 3)]);
    expect(r.verdict).toBe('violation');
    expect(r.problems.join('\n')).toMatch(/\/r: not linearizable/);
  });

  it('a lost acknowledged write (never visible, later reads see the older value)', () => {
    const h = [set('a', 0, 1, 'x', -1, 3), set('b', 2, 3, 'acked', 3, 6), read('c', 10, 11, 'x', 3)];
    expect(verdict(h)).toBe('violation');
  });

  it('two writes acknowledged with the same rev', () => {
    const r = checkHistory([set('a', 0, 5, 'x', -1, 7), set('b', 0, 5, 'y', -1, 7)]);
    expect(r.verdict).toBe('violation');
    expect(r.problems.join('\n')).toMatch(/two acknowledged writes got rev 7/);
  });

  it('two writes acknowledged with the same rev on different files', () => {
    const h = [set('a', 0, 5, 'x', -1, 7), set('b', 0, 5, 'y', -1, 7, { path: '/other' } as Extra)];
    expect(verdict(h)).toBe('violation');
  });

  it('two CAS at the same rev that both succeed', () => {
    const h = [set('a', 0, 1, 'x', 0, 3), set('a', 2, 10, 'y', 3, 7), set('b', 2, 10, 'z', 3, 8)];
    expect(verdict(h)).toBe('violation');
  });

  it('a REV_MISMATCH when the rev was current', () => {
    expect(verdict([set('a', 0, 1, 'x', 0, 3), set('a', 2, 3, 'y', 3, 'mismatch')])).toBe('violation');
  });

  it('a create-only write that succeeds on an existing file', () => {
    expect(verdict([set('a', 0, 1, 'x', 0, 3), set('b', 2, 3, 'y', 0, 5)])).toBe('violation');
  });

  it('revs that go backwards in real time', () => {
    const r = checkHistory([set('a', 0, 1, 'x', -1, 9), set('b', 2, 3, 'y', -1, 5, { path: '/other' } as Extra)]);
    expect(r.verdict).toBe('violation');
    expect(r.problems.join('\n')).toMatch(/rev order contradicts real time/);
  });

  it('an unknown write seen, then unseen (it cannot un-happen)', () => {
    const h = [set('a', 0, 1, 'x', -1, 2), set('b', 2, 0, 'maybe', -1, 'unknown'), read('c', 5, 6, 'maybe', 9), read('c', 7, 8, 'x', 2)];
    expect(verdict(h)).toBe('violation');
  });

  it('an unknown write seen at a rev below the state it overwrote', () => {
    const h = [set('a', 0, 1, 'x', -1, 20), set('b', 2, 0, 'maybe', -1, 'unknown'), read('c', 5, 6, 'maybe', 9)];
    expect(verdict(h)).toBe('violation');
  });

  it('a read of a body nobody wrote', () => {
    expect(verdict([set('a', 0, 1, 'x', -1, 2), read('c', 5, 6, 'ghost', 4)])).toBe('violation');
    expect(verdict([set('a', 0, 1, 'x', -1, 2), read('c', 5, 6, 'ghost', 4, { local: true } as Extra)])).toBe('violation');
  });

  it('a local read older than the client\'s own acknowledged write', () => {
    const h = [set('a', 0, 1, 'x', -1, 3), set('a', 2, 3, 'y', -1, 5), read('a', 4, 5, 'x', 3, { local: true } as Extra)];
    expect(verdict(h)).toBe('violation');
  });

  it('a deleted file that comes back with its old body', () => {
    const h = [set('a', 0, 1, 'x', -1, 3), del('a', 2, 3, -1), read('b', 4, 5, 'x', 3)];
    expect(verdict(h)).toBe('violation');
  });
});

describe('the search', () => {
  it('stays polynomial on many concurrent ops thanks to memoisation', () => {
    // 14 concurrent blind writes then a read: 14! orders without the cache.
    const h: FileOp[] = [];
    for (let i = 0; i < 14; i++) h.push(set(`c${i}`, 0, 100, `v${i}`, -1, 10 + i));
    h.push(read('r', 200, 201, 'v13', 23));
    const r = checkHistory(h);
    expect(r.verdict).toBe('ok');
    expect(r.files[0]!.steps).toBeLessThan(200_000);
  });

  it('reports inconclusive when the budget runs out', () => {
    const h: FileOp[] = [];
    for (let i = 0; i < 12; i++) h.push(set(`c${i}`, 0, 0, `v${i}`, -1, 'unknown'));
    for (let i = 0; i < 12; i++) h.push(read(`r${i}`, 1 + i, 1.5 + i, 'never', 5));
    const r = checkLinearizable(fileModel, h.map((op) => ({ op, invoke: op.invoke, complete: op.complete })), { maxSteps: 50 });
    expect(r.verdict).toBe('inconclusive');
  });

  it('a long sequential history of CAS is fast', () => {
    const h: FileOp[] = [];
    let rev = 0;
    let t = 0;
    for (let i = 0; i < 3000; i++) {
      const next = rev + 1 + (i % 3);
      h.push(set('a', t, t + 2, `v${i}`, rev, next));
      h.push(read('b', t + 1, t + 3, `v${i}`, next)); // overlaps the write
      rev = next;
      t += 4;
    }
    const started = performance.now();
    expect(verdict(h)).toBe('ok');
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
