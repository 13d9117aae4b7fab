// A simulated datagram network between addresses: loss, duplication, delay
// (so reordering), partitions. Every choice comes from the seeded Prng, so a
// seed replays the same run. Pauses of nodes are the cluster's business: the
// network just hands a datagram to `deliver` at its arrival time.

import type { PaxosMsg } from '../actors/paxos/types.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

export interface NetConditions {
  /** Probability that a datagram is lost. */
  loss: number;
  /** Probability that a datagram is delivered twice. */
  dup: number;
  /** Delay of each copy: uniform in [minDelayMs, maxDelayMs). */
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability that a copy is held back much longer (a stale datagram) ... */
  tail: number;
  /** ... by up to this many ms. */
  tailMs: number;
}

export interface NetStats {
  sent: number;
  lost: number;
  cut: number;
  duplicated: number;
  delivered: number;
}

export type Deliver = (to: string, from: string, m: PaxosMsg) => void;

export class SimNetwork {
  conditions: NetConditions = {
    loss: 0,
    dup: 0,
    minDelayMs: 0.05,
    maxDelayMs: 0.5,
    tail: 0,
    tailMs: 0,
  };
  readonly stats: NetStats = { sent: 0, lost: 0, cut: 0, duplicated: 0, delivered: 0 };
  /** Group number of each address while partitioned; absent = reachable by all. */
  private groups: Map<string, number> | null = null;

  constructor(
    private readonly rng: Prng,
    private readonly sched: Scheduler,
    private readonly deliver: Deliver,
  ) {}

  /** Split the network: addresses in different groups cannot reach each other. */
  partition(groups: readonly (readonly string[])[]): void {
    const m = new Map<string, number>();
    groups.forEach((g, i) => g.forEach((a) => m.set(a, i)));
    this.groups = m;
  }

  heal(): void {
    this.groups = null;
  }

  get partitioned(): boolean {
    return this.groups !== null;
  }

  /** Whether `a` and `b` can talk now. */
  connected(a: string, b: string): boolean {
    if (this.groups === null) return true;
    return this.groups.get(a) === this.groups.get(b);
  }

  send(from: string, to: string, m: PaxosMsg): void {
    this.stats.sent++;
    if (!this.connected(from, to)) {
      this.stats.cut++;
      return;
    }
    const c = this.conditions;
    if (c.loss > 0 && this.rng.chance(c.loss)) {
      this.stats.lost++;
      return;
    }
    this.schedule(from, to, m);
    if (c.dup > 0 && this.rng.chance(c.dup)) {
      this.stats.duplicated++;
      this.schedule(from, to, m);
    }
  }

  private schedule(from: string, to: string, m: PaxosMsg): void {
    const c = this.conditions;
    let delay = this.rng.range(c.minDelayMs, c.maxDelayMs);
    if (c.tail > 0 && this.rng.chance(c.tail)) delay += this.rng.range(0, c.tailMs);
    this.sched.after(delay, () => {
      // A partition that started while the datagram was in flight cuts it too.
      if (!this.connected(from, to)) {
        this.stats.cut++;
        return;
      }
      this.stats.delivered++;
      this.deliver(to, from, m);
    });
  }
}
