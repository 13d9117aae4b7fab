// Pending WAITs of the store actor, indexed for fan-out: by glob pattern, and
// within one pattern sorted by rev. An applied event is matched once per
// distinct pattern (not once per waiter), and only against patterns whose
// oldest WAIT is at or below the event's rev; the waiters it answers are a
// prefix of that pattern's list. Ten watchers of `/**` with 32 WAITs each in
// flight cost one glob test per event, not 320.
//
// Plain data (Maps and arrays), so it can live in the store actor's durable
// state and follow it to another thread (src/runtime/durable.ts).
import type { Glob } from './glob.js';

/** One pending WAIT: the first change at or after `rev` matching `glob` answers it. */
export interface PendingWait {
  glob: Glob;
  rev: number;
  replyTo: string;
  tag: number;
}

/**
 * One pattern's pending WAITs, bucketed by rev: `byRev` holds each rev's
 * WAITs in arrival order, `revs` the distinct revs ascending (pending from
 * `head` on). Ten watchers with 1024 WAITs each in flight ask mostly the same
 * revs at slightly different times: a WAIT joins its rev's bucket (O(1))
 * instead of being spliced into the middle of one 10,240-entry array, and an
 * event takes whole buckets off the front by moving `head`.
 */
export interface WaitList {
  revs: number[];
  head: number;
  byRev: Map<number, PendingWait[]>;
  /** Pending WAITs in the list. */
  count: number;
}

/** Pattern -> its pending WAITs. */
export type WaitIndex = Map<string, WaitList>;

/** The pending WAITs of one list, ascending by rev (ties: arrival order). */
export function pendingOf(list: WaitList): PendingWait[] {
  const out: PendingWait[] = [];
  for (let i = list.head; i < list.revs.length; i++) out.push(...list.byRev.get(list.revs[i]!)!);
  return out;
}

/** First index from `lo` in ascending `revs` whose rev is above `rev`. */
function upperBound(revs: readonly number[], rev: number, lo = 0): number {
  let hi = revs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (revs[mid]! <= rev) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Takes the buckets of revs[head..end) off the list (the list is dropped from `index` when that empties it). */
function takeFront(index: WaitIndex, pattern: string, list: WaitList, end: number): PendingWait[] {
  const { revs, byRev } = list;
  const taken = byRev.get(revs[list.head]!)!;
  byRev.delete(revs[list.head]!);
  for (let i = list.head + 1; i < end; i++) {
    // The first bucket is off the list now: the later ones are appended to it.
    for (const w of byRev.get(revs[i]!)!) taken.push(w);
    byRev.delete(revs[i]!);
  }
  list.count -= taken.length;
  if (end === revs.length) {
    index.delete(pattern);
    return taken;
  }
  list.head = end;
  if (list.head > 64 && list.head * 2 > revs.length) {
    list.revs = revs.slice(list.head);
    list.head = 0;
  }
  return taken;
}

/** Adds a WAIT (O(1) when its rev already has WAITs or is the highest, as a watch's are). */
export function addWait(index: WaitIndex, w: PendingWait): void {
  const list = index.get(w.glob.pattern);
  if (!list) {
    index.set(w.glob.pattern, { revs: [w.rev], head: 0, byRev: new Map([[w.rev, [w]]]), count: 1 });
    return;
  }
  list.count++;
  const bucket = list.byRev.get(w.rev);
  if (bucket) {
    bucket.push(w);
    return;
  }
  list.byRev.set(w.rev, [w]);
  const revs = list.revs;
  if (revs[revs.length - 1]! < w.rev) revs.push(w.rev);
  else revs.splice(upperBound(revs, w.rev, list.head), 0, w.rev);
}

/**
 * Removes and returns the WAITs that the event (rev `seqn`, path `path`)
 * answers: those with rev <= seqn whose glob matches path. One glob test per
 * pattern that has such WAITs.
 */
export function takeAnswered(index: WaitIndex, seqn: number, path: string): PendingWait[] {
  let out: PendingWait[] | undefined;
  for (const [pattern, list] of index) {
    const revs = list.revs;
    const first = revs[list.head]!;
    if (first > seqn || !list.byRev.get(first)![0]!.glob.matches(path)) continue;
    const end = revs[revs.length - 1]! <= seqn ? revs.length : revs[list.head + 1]! > seqn ? list.head + 1 : upperBound(revs, seqn, list.head);
    const taken = takeFront(index, pattern, list, end);
    out = out ? out.concat(taken) : taken;
  }
  return out ?? [];
}

/** Removes and returns every WAIT with rev <= `rev`, whatever its glob. */
export function takeUpTo(index: WaitIndex, rev: number): PendingWait[] {
  const out: PendingWait[] = [];
  for (const [pattern, list] of index) {
    const end = upperBound(list.revs, rev, list.head);
    if (end === list.head) continue;
    out.push(...takeFront(index, pattern, list, end));
  }
  return out;
}

/** Removes the WAITs for which `drop` is true. */
export function dropWaits(index: WaitIndex, drop: (w: PendingWait) => boolean): void {
  for (const [pattern, list] of index) {
    const all = pendingOf(list);
    const kept = all.filter((w) => !drop(w));
    if (kept.length === all.length) continue;
    index.delete(pattern);
    for (const w of kept) addWait(index, w);
  }
}

/** Number of pending WAITs. */
export function countWaits(index: WaitIndex): number {
  let n = 0;
  for (const list of index.values()) n += list.count;
  return n;
}
