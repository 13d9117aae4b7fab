// The window of open instances one Paxos role keeps (spec/consensus.md,
// "alpha"): instance n opens when the store applies version n - alpha, with
// the CAL list of that version. Messages for instances not open yet are held
// (bounded) and handed back when their instance opens; instances far enough
// behind the store are dropped.
//
// Shared by the three roles' cores (acceptor-core.ts, learner-core.ts,
// proposer-core.ts): each keeps its own window of its own per-instance state.
// Pure: no clock, no I/O.
import { CalConfig } from './cals.js';
import type { Cal, PaxosMsg } from './types.js';

/** A message held for an instance that is not open yet. */
export interface HeldMsg {
  from: string;
  m: PaxosMsg;
}

export interface WindowOptions {
  /** This node's id (as in /ctl/cal/*). */
  selfId: string;
  /** Most messages held for instances not open yet (default 4096). */
  maxHeld?: number;
  /** Hold messages for at most this many seqns beyond the highest open one. */
  holdAhead: number;
}

/** Per-instance entries of type E, keyed by seqn, with their CAL configuration. */
export class InstanceWindow<E extends { readonly cfg: CalConfig }> {
  private readonly entries = new Map<number, E>();
  private readonly held = new Map<number, HeldMsg[]>();
  private heldCount = 0;
  private readonly maxHeld: number;
  /** Lowest seqn kept; 0 before the first open. */
  low = 0;
  /** Highest seqn opened; 0 before the first open. */
  high = 0;
  /** The CAL configuration of the highest open instance (null before the first). */
  lastCfg: CalConfig | null = null;

  constructor(
    private readonly opts: WindowOptions,
    private readonly make: (seqn: number, cfg: CalConfig) => E,
  ) {
    this.maxHeld = opts.maxHeld ?? 4096;
  }

  get size(): number {
    return this.entries.size;
  }

  get heldMessages(): number {
    return this.heldCount;
  }

  get(seqn: number): E | undefined {
    return this.entries.get(seqn);
  }

  values(): IterableIterator<E> {
    return this.entries.values();
  }

  /**
   * Open instance `seqn` with CAL list `cals` (any order; empty: the list of
   * seqn-1, or the last one opened). Returns the new entry and the messages
   * held for it, or undefined if it is open or was dropped already.
   */
  open(seqn: number, cals: readonly Cal[]): { entry: E; held: HeldMsg[] } | undefined {
    if (this.entries.has(seqn) || (this.low > 0 && seqn < this.low)) return undefined;
    const prev = this.entries.get(seqn - 1)?.cfg ?? this.lastCfg;
    let cfg: CalConfig;
    if (cals.length === 0) cfg = prev ?? new CalConfig([], this.opts.selfId);
    else if (prev !== null && prev.sameAs(cals)) cfg = prev;
    else cfg = new CalConfig(cals, this.opts.selfId);
    const entry = this.make(seqn, cfg);
    this.entries.set(seqn, entry);
    if (this.low === 0) this.low = seqn;
    if (seqn > this.high) {
      this.high = seqn;
      this.lastCfg = cfg;
    }
    const held = this.held.get(seqn);
    if (held === undefined) return { entry, held: NONE };
    this.held.delete(seqn);
    this.heldCount -= held.length;
    return { entry, held };
  }

  /**
   * `m` from `from` came for an instance not open yet: hold it (as hold(),
   * kept or dropped). Returns whether `from` is a CAL of the highest open
   * instance: then a CAL already uses seqn m.seqn (each core's "used" hint to
   * its proposer), whether or not `m` was kept.
   */
  holdEarly(from: string, m: PaxosMsg): boolean {
    const cfg = this.lastCfg;
    const fromCal = cfg !== null && cfg.indexOf(from) >= 0;
    this.hold(from, m);
    return fromCal;
  }

  /** Keep `m` for its instance, not open yet. False when dropped (too many held, or too far ahead). */
  hold(from: string, m: PaxosMsg): boolean {
    if (this.heldCount >= this.maxHeld) return false;
    if (this.high > 0 && m.seqn > this.high + this.opts.holdAhead) return false;
    let list = this.held.get(m.seqn);
    if (list === undefined) this.held.set(m.seqn, (list = []));
    list.push({ from, m });
    this.heldCount++;
    return true;
  }

  /**
   * Drop every instance below `seqn`; `keep` may veto dropping one (then it
   * and everything above it stay, to be tried again on the next call).
   * Calls `dropped` for each entry dropped.
   */
  dropBelow(seqn: number, dropped?: (e: E, seqn: number) => void, keep?: (e: E, seqn: number) => boolean): void {
    while (this.low > 0 && this.low < seqn) {
      const e = this.entries.get(this.low);
      if (e !== undefined) {
        if (keep?.(e, this.low)) return;
        this.entries.delete(this.low);
        dropped?.(e, this.low);
      }
      const h = this.held.get(this.low);
      if (h !== undefined) {
        this.held.delete(this.low);
        this.heldCount -= h.length;
      }
      this.low++;
    }
  }
}

const NONE: HeldMsg[] = [];
