// The runtime clock of one simulated node (src/runtime/clock.ts): time, timers
// and deferred work on the cluster's one virtual scheduler, randomness from
// the node's seeded stream. Each node's clock has its own origin and rate
// (the actors must only use differences). While the node is paused nothing
// of it runs: its callbacks wait in a backlog and run in order on resume,
// as a SIGSTOPped process would.
import type { RuntimeClock, TimerHandle } from '../runtime/clock.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

interface SimTimer {
  cancelled: boolean;
}

/** Virtual ms a deferred drain waits: the node's "processing time" (keeps event order deterministic). */
const DEFER_MS = 0.001;

export class SimClock implements RuntimeClock {
  readonly background = false;
  paused = false;
  private backlog: (() => void)[] = [];

  constructor(
    private readonly sched: Scheduler,
    private readonly rng: Prng,
    /** local = virtual * rate + offset */
    private readonly offset: number,
    private readonly rate: number,
  ) {}

  now(): number {
    return this.sched.now * this.rate + this.offset;
  }

  wallNow(): number {
    return this.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: SimTimer = { cancelled: false };
    // Local ms -> virtual ms (a hair late, never early).
    this.sched.after(Math.max(0, ms) / this.rate + 1e-6, () => {
      if (!t.cancelled) this.run(fn);
    });
    return t;
  }

  clearTimeout(h: TimerHandle): void {
    (h as SimTimer).cancelled = true;
  }

  defer(fn: () => void): void {
    this.sched.after(DEFER_MS, () => this.run(fn));
  }

  random(): number {
    return this.rng.next();
  }

  /** Run `fn` as this node now, or after it resumes. */
  run(fn: () => void): void {
    if (this.paused) this.backlog.push(fn);
    else fn();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const b = this.backlog;
    this.backlog = [];
    for (const fn of b) this.run(fn);
  }
}
