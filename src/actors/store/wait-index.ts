// Pending WAITs of the store actor, indexed for fan-out: by glob pattern, and
// within one pattern sorted by rev. An applied event is matched once per
// distinct pattern (not once per waiter), and only against patterns whose
// oldest WAIT is at or below the event's rev; the waiters it answers are a
// prefix of that pattern's list. Ten watchers of `/**` with 32 WAITs each in
// flight cost one glob test per event, not 320.
//
// Plain data (a Map of arrays), so it can live in the store actor's durable
// state and follow it to another thread (src/runtime/durable.ts).
import type { Glob } from './glob.js';

/** One pending WAIT: the first change at or after `rev` matching `glob` answers it. */
export interface PendingWait {
  glob: Glob;
  rev: number;
  replyTo: string;
  tag: number;
}

/** Pattern -> its pending WAITs, ascending by rev (ties: arrival order). */
export type WaitIndex = Map<string, PendingWait[]>;

/** First index in `list` whose rev is above `rev` (list ascending by rev). */
function upperBound(list: readonly PendingWait[], rev: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.rev <= rev) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds a WAIT (O(1) when revs arrive ascending, as a watch's do). */
export function addWait(index: WaitIndex, w: PendingWait): void {
  const list = index.get(w.glob.pattern);
  if (!list) {
    index.set(w.glob.pattern, [w]);
    return;
  }
  if (list[list.length - 1]!.rev <= w.rev) list.push(w);
  else list.splice(upperBound(list, w.rev), 0, w);
}

/**
 * Removes and returns the WAITs that the event (rev `seqn`, path `path`)
 * answers: those with rev <= seqn whose glob matches path. One glob test per
 * pattern that has such WAITs.
 */
export function takeAnswered(index: WaitIndex, seqn: number, path: string): PendingWait[] {
  let out: PendingWait[] | undefined;
  for (const [pattern, list] of index) {
    if (list[0]!.rev > seqn || !list[0]!.glob.matches(path)) continue;
    const n = list[list.length - 1]!.rev <= seqn ? list.length : upperBound(list, seqn);
    let taken: PendingWait[];
    if (n === list.length) {
      index.delete(pattern);
      taken = list;
    } else {
      taken = list.splice(0, n);
    }
    out = out ? out.concat(taken) : taken;
  }
  return out ?? [];
}

/** Removes and returns every WAIT with rev <= `rev`, whatever its glob. */
export function takeUpTo(index: WaitIndex, rev: number): PendingWait[] {
  const out: PendingWait[] = [];
  for (const [pattern, list] of index) {
    const n = upperBound(list, rev);
    if (n === 0) continue;
    out.push(...list.splice(0, n));
    if (list.length === 0) index.delete(pattern);
  }
  return out;
}

/** Removes the WAITs for which `drop` is true. */
export function dropWaits(index: WaitIndex, drop: (w: PendingWait) => boolean): void {
  for (const [pattern, list] of index) {
    const kept = list.filter((w) => !drop(w));
    if (kept.length === 0) index.delete(pattern);
    else if (kept.length !== list.length) index.set(pattern, kept);
  }
}

/** Number of pending WAITs. */
export function countWaits(index: WaitIndex): number {
  let n = 0;
  for (const list of index.values()) n += list.length;
  return n;
}
