// Pending WAITs of the store actor, indexed for fan-out: by glob pattern, and
// within one pattern sorted by rev. An applied event is matched once per
// distinct pattern (not once per waiter), and only against patterns whose
// oldest WAIT is at or below the event's rev; the waiters it answers are a
// prefix of that pattern's list. Ten watchers of `/**` with 32 WAITs each in
// flight cost one glob test per event, not 320.
//
// Plain data (a Map of arrays with a head index), so it can live in the store actor's durable
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
 * One pattern's pending WAITs, ascending by rev (ties: arrival order), from
 * `head` on: answered WAITs are dropped from the front by moving `head`, not
 * by shifting the array (a `/**` list holds every watcher's window, 10 x 1024
 * entries, and each event answers a few at its front).
 */
export interface WaitList {
  waits: PendingWait[];
  head: number;
}

/** Pattern -> its pending WAITs. */
export type WaitIndex = Map<string, WaitList>;

/** The pending WAITs of one list, in order (a copy). */
export function pendingOf(list: WaitList): PendingWait[] {
  return list.waits.slice(list.head);
}

/** First index in `list` from `lo` whose rev is above `rev` (list ascending by rev). */
function upperBound(list: readonly PendingWait[], rev: number, lo = 0): number {
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.rev <= rev) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Drops the answered front of a list once it is most of the array. */
function compact(list: WaitList): void {
  if (list.head > 64 && list.head * 2 > list.waits.length) {
    list.waits = list.waits.slice(list.head);
    list.head = 0;
  }
}

/** Adds a WAIT (O(1) when revs arrive ascending, as a watch's do). */
export function addWait(index: WaitIndex, w: PendingWait): void {
  const list = index.get(w.glob.pattern);
  if (!list) {
    index.set(w.glob.pattern, { waits: [w], head: 0 });
    return;
  }
  const a = list.waits;
  if (a[a.length - 1]!.rev <= w.rev) a.push(w);
  else a.splice(upperBound(a, w.rev, list.head), 0, w);
}

/**
 * Removes and returns the WAITs that the event (rev `seqn`, path `path`)
 * answers: those with rev <= seqn whose glob matches path. One glob test per
 * pattern that has such WAITs.
 */
export function takeAnswered(index: WaitIndex, seqn: number, path: string): PendingWait[] {
  let out: PendingWait[] | undefined;
  for (const [pattern, list] of index) {
    const a = list.waits;
    const first = a[list.head]!;
    if (first.rev > seqn || !first.glob.matches(path)) continue;
    const end = a[a.length - 1]!.rev <= seqn ? a.length : upperBound(a, seqn, list.head);
    const taken = a.slice(list.head, end);
    if (end === a.length) index.delete(pattern);
    else {
      list.head = end;
      compact(list);
    }
    out = out ? out.concat(taken) : taken;
  }
  return out ?? [];
}

/** Removes and returns every WAIT with rev <= `rev`, whatever its glob. */
export function takeUpTo(index: WaitIndex, rev: number): PendingWait[] {
  const out: PendingWait[] = [];
  for (const [pattern, list] of index) {
    const end = upperBound(list.waits, rev, list.head);
    if (end === list.head) continue;
    out.push(...list.waits.slice(list.head, end));
    if (end === list.waits.length) index.delete(pattern);
    else {
      list.head = end;
      compact(list);
    }
  }
  return out;
}

/** Removes the WAITs for which `drop` is true. */
export function dropWaits(index: WaitIndex, drop: (w: PendingWait) => boolean): void {
  for (const [pattern, list] of index) {
    const kept = pendingOf(list).filter((w) => !drop(w));
    if (kept.length === 0) index.delete(pattern);
    else if (kept.length !== list.waits.length - list.head) index.set(pattern, { waits: kept, head: 0 });
  }
}

/** Number of pending WAITs. */
export function countWaits(index: WaitIndex): number {
  let n = 0;
  for (const list of index.values()) n += list.waits.length - list.head;
  return n;
}
