// Virtual time for the simulation: a binary min-heap of events ordered by
// (time, insertion order), so equal times run in a deterministic order.

export interface SimEvent {
  at: number;
  seq: number;
  run: () => void;
}

export class Scheduler {
  now = 0;
  private heap: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Run `run` at virtual time `at` (not before now). */
  at(at: number, run: () => void): void {
    const e: SimEvent = { at: at < this.now ? this.now : at, seq: this.seq++, run };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, e)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  after(delay: number, run: () => void): void {
    this.at(this.now + delay, run);
  }

  /** Run the next event; false if none is left or it is after `until`. */
  step(until = Infinity): boolean {
    const h = this.heap;
    if (h.length === 0 || h[0]!.at > until) return false;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && less(h[r]!, h[l]!) ? r : l;
        if (less(last, h[c]!)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    this.now = top.at;
    top.run();
    return true;
  }

  /** Run events up to and including time `until`; now ends at `until`. */
  runUntil(until: number): void {
    while (this.step(until)) {
      /* keep going */
    }
    if (this.now < until) this.now = until;
  }
}

function less(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
