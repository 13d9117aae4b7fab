// Linearizability of one object's history: the Wing-Gong search as improved
// by Lowe (and used by Knossos and Porcupine): walk the history's call and
// return events in time order, try to linearize each pending call against a
// sequential model, backtrack when a return is reached whose call could not
// be placed, and memoise (set of linearized ops, model state) so that no
// configuration is explored twice.
//
// Models may be nondeterministic (an op of unknown outcome may or may not
// have happened): step returns every possible next state, and the search
// runs on sets of states (the powerset construction), which keeps it
// deterministic.

/** A sequential specification. */
export interface Model<S, O> {
  /** Possible states before any op. */
  init: S[];
  /** Every state the object may be in after `op` from state `s` (empty: `op` is impossible from `s`). */
  step(s: S, op: O): S[];
  /** A canonical string for a state (equal states, equal keys). */
  key(s: S): string;
}

/** One operation: its call and return times and whether it must be linearized. */
export interface TimedOp<O> {
  op: O;
  invoke: number;
  /** Infinity for an op that may still be pending (unknown outcome). */
  complete: number;
}

export type Verdict = 'ok' | 'violation' | 'inconclusive';

export interface WglResult<S, O> {
  verdict: Verdict;
  /** Search steps taken. */
  steps: number;
  /** For a violation: the longest prefix that could be linearized, the states after it, and the ops that completed but could not be placed after it. */
  bestPrefix?: O[];
  bestStates?: S[];
  stuck?: O[];
}

interface Entry {
  isCall: boolean;
  id: number;
  time: number;
  match: Entry | undefined; // call -> its return
  prev: Entry | undefined;
  next: Entry | undefined;
}

/** Options: `maxSteps` bounds the search (default 2,000,000); past it the verdict is 'inconclusive'. */
export interface WglOptions {
  maxSteps?: number;
}

/**
 * Checks that `ops` are linearizable with respect to `model`. Ops whose
 * complete is Infinity need not be linearized (they may never have happened)
 * but may be. Pure; O(exponential) in the worst case, bounded by maxSteps.
 */
export function checkLinearizable<S, O>(model: Model<S, O>, ops: readonly TimedOp<O>[], opts: WglOptions = {}): WglResult<S, O> {
  const maxSteps = opts.maxSteps ?? 2_000_000;
  const n = ops.length;
  // Build the event list: calls and returns sorted by time; a call sorts
  // before a return at the same time (ops touching in time count as concurrent).
  const events: Entry[] = [];
  for (let id = 0; id < n; id++) {
    const o = ops[id]!;
    const call: Entry = { isCall: true, id, time: o.invoke, match: undefined, prev: undefined, next: undefined };
    const ret: Entry = { isCall: false, id, time: o.complete, match: undefined, prev: undefined, next: undefined };
    call.match = ret;
    events.push(call, ret);
  }
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.id - b.id : a.isCall ? -1 : 1));
  const head: Entry = { isCall: false, id: -1, time: -Infinity, match: undefined, prev: undefined, next: undefined };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  const definite = ops.reduce((k, o) => k + (o.complete === Infinity ? 0 : 1), 0);

  const words = Math.ceil(n / 32) || 1;
  const linearized = new Uint32Array(words);
  const cache = new Set<string>();
  const stepStates = (states: S[], op: O): S[] => {
    const out = new Map<string, S>();
    for (const s of states) for (const t of model.step(s, op)) out.set(model.key(t), t);
    return [...out.values()].sort((a, b) => (model.key(a) < model.key(b) ? -1 : 1));
  };
  const keyOf = (states: S[]): string => states.map((s) => model.key(s)).join('|');

  let states = dedupe(model, model.init);
  const calls: { entry: Entry; states: S[] }[] = [];
  let placedDefinite = 0;
  let steps = 0;
  let best: { prefix: number[]; states: S[]; stuckAt: Entry | undefined } = { prefix: [], states, stuckAt: undefined };

  const lift = (e: Entry): void => {
    e.prev!.next = e.next;
    if (e.next) e.next.prev = e.prev;
    const m = e.match!;
    m.prev!.next = m.next;
    if (m.next) m.next.prev = m.prev;
  };
  const unlift = (e: Entry): void => {
    const m = e.match!;
    m.prev!.next = m;
    if (m.next) m.next.prev = m;
    e.prev!.next = e;
    if (e.next) e.next.prev = e;
  };

  let entry = head.next;
  for (;;) {
    if (placedDefinite === definite) return { verdict: 'ok', steps };
    if (++steps > maxSteps) return { verdict: 'inconclusive', steps };
    if (entry === undefined) {
      // Only unknown-outcome returns remain beyond: cannot happen while definite ops are unplaced.
      return { verdict: 'ok', steps };
    }
    if (entry.isCall) {
      const next = stepStates(states, ops[entry.id]!.op);
      let moved = false;
      if (next.length > 0) {
        const w = entry.id >>> 5;
        const bit = 1 << (entry.id & 31);
        linearized[w]! |= bit;
        const key = `${Array.from(linearized).join(',')}#${keyOf(next)}`;
        if (!cache.has(key)) {
          cache.add(key);
          calls.push({ entry, states });
          states = next;
          if (ops[entry.id]!.complete !== Infinity) placedDefinite++;
          lift(entry);
          moved = true;
          entry = head.next;
        } else {
          linearized[w]! &= ~bit;
        }
      }
      if (!moved) entry = entry!.next;
    } else {
      // A return whose call is not linearized yet: backtrack.
      if (calls.length >= best.prefix.length) {
        best = { prefix: calls.map((c) => c.entry.id), states, stuckAt: entry };
      }
      const top = calls.pop();
      if (top === undefined) {
        const stuckIds = new Set<number>();
        for (let e = best.stuckAt; e; e = e.next) if (!e.isCall) { stuckIds.add(e.id); break; }
        return {
          verdict: 'violation',
          steps,
          bestPrefix: best.prefix.map((i) => ops[i]!.op),
          bestStates: best.states,
          stuck: [...stuckIds].map((i) => ops[i]!.op),
        };
      }
      states = top.states;
      linearized[top.entry.id >>> 5]! &= ~(1 << (top.entry.id & 31));
      if (ops[top.entry.id]!.complete !== Infinity) placedDefinite--;
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
}

function dedupe<S, O>(model: Model<S, O>, xs: S[]): S[] {
  const m = new Map<string, S>();
  for (const s of xs) m.set(model.key(s), s);
  return [...m.values()];
}
