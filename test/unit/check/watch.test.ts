// Watch-stream, acknowledged-write and convergence checkers: each must pass
// a correct run and catch the fault it is for.
import { describe, expect, it } from 'vitest';
import type { FileOp } from '../../../src/check/history.js';
import {
  checkAcknowledgedWrites, checkLogAgainstStore, checkWatchStreams, globRegExp,
  type StoreSnapshot, type WatchEvent, type WatchStream,
} from '../../../src/check/watch.js';
import { checkConvergence, storeDigest } from '../../../src/check/convergence.js';

const S = (rev: number, path: string, value: string): WatchEvent => ({ rev, path, value, flags: 4 });
const D = (rev: number, path: string): WatchEvent => ({ rev, path, value: '', flags: 8 });
const N = (rev: number): WatchEvent => ({ rev, path: '/', value: '', flags: 0 });
const log1: WatchEvent[] = [S(1, '/a', 'x'), N(2), S(3, '/b/c', 'y'), D(4, '/a'), S(5, '/a', 'z'), N(6)];
const all = (name: string, events = log1, fromRev = 1): WatchStream => ({ name, glob: '/**', fromRev, events });
const store = (rev: number, files: [string, number, string][]): StoreSnapshot => ({
  rev, files: new Map(files.map(([p, r, v]) => [p, { rev: r, value: v }])),
});
const finalOk = store(6, [['/b/c', 3, 'y'], ['/a', 5, 'z']]);

describe('watch streams', () => {
  it('accept agreeing, complete streams and a matching final store', () => {
    const streams = [all('n1'), all('n2', log1.slice(2), 3), { name: 'a-only', glob: '/a', fromRev: 1, events: [log1[0]!, log1[3]!, log1[4]!] }];
    const { problems, log } = checkWatchStreams(streams);
    expect(problems).toEqual([]);
    expect(checkLogAgainstStore(log, finalOk)).toEqual([]);
  });

  it('catch a duplicate, a reordering and a gap', () => {
    expect(checkWatchStreams([all('dup', [log1[0]!, log1[0]!, ...log1.slice(1)])]).problems.join()).toMatch(/duplicate/);
    expect(checkWatchStreams([all('ooo', [log1[1]!, log1[0]!, ...log1.slice(2)])]).problems.join()).toMatch(/out of order/);
    expect(checkWatchStreams([all('gap', [log1[0]!, ...log1.slice(2)])]).problems.join()).toMatch(/gap: revs 2..2/);
  });

  it('catch streams that disagree, a missed event and a non-matching path', () => {
    const other = [...log1];
    other[2] = S(3, '/b/c', 'DIFFERENT');
    expect(checkWatchStreams([all('n1'), all('n2', other)]).problems.join()).toMatch(/disagree at rev 3/);
    const missed = { name: 'a-only', glob: '/a', fromRev: 1, events: [log1[0]!, log1[4]!] };
    expect(checkWatchStreams([all('n1'), missed]).problems.join()).toMatch(/missed 4 del \/a/);
    const wrong = { name: 'b-only', glob: '/b/*', fromRev: 1, events: [log1[0]!] };
    expect(checkWatchStreams([wrong]).problems.join()).toMatch(/does not match/);
  });

  it('catch a final store that the log does not replay to', () => {
    const { log } = checkWatchStreams([all('n1')]);
    expect(checkLogAgainstStore(log, store(6, [['/b/c', 3, 'y']])).join()).toMatch(/\/a@5/);
    expect(checkLogAgainstStore(log, store(6, [['/b/c', 3, 'y'], ['/a', 5, 'z'], ['/ghost', 2, 'g']])).join()).toMatch(/ghost/);
  });

  it('globs follow the spec', () => {
    expect(globRegExp('/a/**/b').test('/a/x/y/b')).toBe(true);
    expect(globRegExp('/a/**/b').test('/a/b')).toBe(false);
    expect(globRegExp('/a/*').test('/a/b/c')).toBe(false);
    expect(globRegExp('/a/?').test('/a/b')).toBe(true);
    expect(globRegExp('/a.b').test('/aXb')).toBe(false);
  });
});

describe('acknowledged writes', () => {
  const w = (rev: number, path: string, value: string): FileOp => ({ id: rev, f: 'set', client: 'c', path, invoke: 0, complete: 1, outcome: 'ok', value, cond: -1, rev });
  it('pass when every acked write is in the log and the store', () => {
    const { log } = checkWatchStreams([all('n1')]);
    expect(checkAcknowledgedWrites([w(3, '/b/c', 'y'), w(5, '/a', 'z')], log, finalOk)).toEqual([]);
  });
  it('catch an acked write missing from the log or lost from the store', () => {
    const { log } = checkWatchStreams([all('n1')]);
    expect(checkAcknowledgedWrites([w(2, '/q', 'acked')], log, undefined).join()).toMatch(/missing from the log/);
    expect(checkAcknowledgedWrites([w(9, '/q', 'acked')], undefined, store(10, [])).join()).toMatch(/acknowledged write lost/);
  });
});

describe('convergence', () => {
  const files = [{ path: '/a', rev: 5, value: '7a' }];
  it('passes when every live node has the same digest at the same rev', () => {
    const d = storeDigest(files);
    expect(checkConvergence([{ node: 'a', rev: 9, digest: d, files: 1 }, { node: 'b', rev: 9, digest: d, files: 1 }], ['a', 'b'], 9)).toEqual([]);
  });
  it('catches different stores, a node behind and a silent node', () => {
    const d1 = storeDigest(files);
    const d2 = storeDigest([{ path: '/a', rev: 5, value: '7b' }]);
    expect(d1).not.toBe(d2);
    expect(checkConvergence([{ node: 'a', rev: 9, digest: d1, files: 1 }, { node: 'b', rev: 9, digest: d2, files: 1 }], ['a', 'b'], 9).join()).toMatch(/stores differ/);
    expect(checkConvergence([{ node: 'a', rev: 9, digest: d1, files: 1 }], ['a', 'b'], 9).join()).toMatch(/b did not answer/);
    expect(checkConvergence([{ node: 'a', rev: 3, digest: d1, files: 1 }], ['a'], 9).join()).toMatch(/below 9/);
  });
});
