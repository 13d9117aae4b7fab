// History (spec/store.md "Revisions and history"): the store's versions by
// rev and its events by seqn, over a window of the last `hist` revisions.
// Asking for anything older than what is kept is TOO_LATE.
import { DoozerError } from '../../wire/errors.js';

/** Items numbered consecutively from `first`; drops from the front cheaply. */
export class Window<T> {
  private items: T[] = [];
  private head = 0;

  constructor(private firstNo: number) {}

  /** Number of the oldest item kept (or of the next one, when empty). */
  get first(): number {
    return this.firstNo;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(x: T): void {
    this.items.push(x);
  }

  /** Item number n, or undefined if not kept. */
  at(n: number): T | undefined {
    const i = n - this.firstNo;
    if (i < 0 || i >= this.length) return undefined;
    return this.items[this.head + i];
  }

  /** Drops items numbered below n. */
  dropBefore(n: number): void {
    const k = Math.min(n - this.firstNo, this.length);
    if (k <= 0) return;
    const items = this.items;
    for (let i = this.head; i < this.head + k; i++) items[i] = undefined as T; // let them go
    this.head += k;
    this.firstNo += k;
    // Compact once the dead front outweighs the live part: amortized O(1).
    if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * Versions (roots) by rev and events by seqn. Version r is the store after
 * applying seqn r; event r is what applying seqn r did.
 */
export class History<V, E> {
  readonly hist: number;
  private readonly versions: Window<V>;
  private readonly events: Window<E>;
  /** Smallest fromRev for which every later event is still kept. */
  private eventFloor: number;

  /**
   * Starts at version `rev`. Events up to rev are unknown unless rev is 0
   * (a new store has had none): then a wait from any rev <= 1 is complete.
   */
  constructor(rev: number, root: V, hist: number) {
    this.hist = hist >= 1 ? Math.floor(hist) : 1; // NaN -> 1; Infinity keeps everything
    this.versions = new Window<V>(rev);
    this.versions.push(root);
    this.events = new Window<E>(rev + 1);
    this.eventFloor = rev === 0 ? -Infinity : rev + 1;
  }

  /** The newest rev. */
  get rev(): number {
    return this.versions.first + this.versions.length - 1;
  }

  get oldestRev(): number {
    return this.versions.first;
  }

  /** Oldest seqn whose event is kept (rev + 1 when none is). */
  get oldestEvent(): number {
    return this.events.first;
  }

  /** Records version seqn (= rev + 1) and its event. */
  push(seqn: number, root: V, event: E): void {
    if (seqn !== this.rev + 1) throw new Error(`history: seqn ${seqn} after rev ${this.rev}`);
    this.versions.push(root);
    this.events.push(event);
  }

  /** The version at rev: TOO_LATE if dropped; rev in the future is an Error. */
  version(rev: number): V {
    if (rev > this.rev) throw new Error(`store: rev ${rev} is in the future (current ${this.rev})`);
    const v = this.versions.at(rev);
    if (v === undefined) throw new DoozerError('TOO_LATE');
    return v;
  }

  /** Event seqn, if kept. */
  event(seqn: number): E | undefined {
    return this.events.at(seqn);
  }

  /** First kept seqn >= fromRev to scan from; TOO_LATE if events were dropped. */
  scanStart(fromRev: number): number {
    if (fromRev < this.eventFloor) throw new DoozerError('TOO_LATE');
    return Math.max(fromRev, this.events.first);
  }

  /** Keeps the last `hist` versions (rev - hist + 1 .. rev) and their events. */
  clean(): void {
    const keep = this.rev - this.hist + 1;
    if (keep <= this.versions.first) return;
    this.versions.dropBefore(keep);
    this.events.dropBefore(keep);
    this.eventFloor = Math.max(this.eventFloor, keep);
  }
}
