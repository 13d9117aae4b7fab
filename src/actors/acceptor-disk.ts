// Group commit of acceptor states for the acceptor actor (with -data).
//
// Paxos asks that an acceptor never forget a promise or a vote. What the
// acceptor lets out after a promise or vote (RSVP, VOTE, to peers and to this
// node's own proposer and learner) waits here until the states changed since
// the last commit are written and synced to disk; so does anything produced
// after them, to keep the order.
//
// A pipeline of one sync at a time, off the event loop:
// - Every drain of the core adds its changed states and its messages to the
//   next batch. A vote or promise for a peer's message, with no sync in
//   flight and nothing urgent gathered, starts it at once, in the same
//   turn: a follower's vote is what the leader waits for. Otherwise the
//   first one schedules the batch's start (ctx.defer, message `disk-start`;
//   a loop turn later when a sync is in flight, so the batch gathers more):
//   after the current actor drain and the transport's flush, so the
//   proposer's INVITE and NOMINATE (which carry no acceptor state) and the
//   VOTEs of earlier batches leave first, and everything of one event-loop
//   turn shares the batch.
// - Start: the batch's states are written to the WAL in one transaction
//   (no fsync: a 'deferred' connection, src/storage/database.ts), then one
//   fdatasync of the WAL runs on libuv's thread pool. The event loop goes on
//   meanwhile: it receives, votes into the next batch, sends what depends on
//   nothing unstored.
// - A lazy drain (AcceptorCore drain().lazy: only votes for no-ops above
//   every instance in use, an idle leader's fill of its next rotation) adds
//   to the next batch without starting it: its states ride the next sync
//   that something urgent starts (the next write's vote, which needs those
//   instances decided anyway), or start one of their own after HOLD_MS. So
//   a lone writer costs each node one sync per write, not one per instance
//   (three nodes syncing on one disk wait for each other's flushes).
// - When the sync reports (message `disk-synced`, deferred: handled right
//   after the sync's callback), the batch's messages leave, and the next batch (everything that
//   arrived during the sync) starts right after them.
// When the disk refuses (a full disk, an I/O error, in the write or in the
// sync) the states are kept and written and synced again every second: the
// node stops voting (the others go on without it), and nothing that depends
// on an unstored state ever leaves.
import type { ActorContext } from '../runtime/actor.js';
import type { AcceptorState, PaxosMsg, Send } from './paxos/index.js';
import type { AcceptorRecords } from '../storage/acceptor-records.js';

const RETRY_MS = 1000;
/** Longest a lazy batch (drain().lazy) waits for a sync started by something urgent (ms). */
export const HOLD_MS = 10;

/** What waits for the disk: messages to peers and to this node's own roles. */
export interface Held {
  sends: Send[];
  local: PaxosMsg[];
}

/**
 * Lets messages out (to the transport and this node's roles). `quiet`: no
 * other sync is in flight and nothing urgent waits (a lone write's votes).
 */
export type Release = (h: Held, quiet: boolean) => void;

/** States to store and the messages that wait for them. */
interface Batch {
  /** Names the batch in its `disk-synced` message. */
  id: number;
  states: Map<number, AcceptorState>;
  held: Held;
  /** Something in it is not lazy: it starts as soon as it may. */
  urgent: boolean;
  /** Its sync reported success. */
  synced?: boolean;
}

/** Syncs in flight at once, by default (libuv's pool has 4 threads, shared with other file and DNS work). */
export const MAX_IN_FLIGHT = 2;

let batchIds = 0;
const emptyBatch = (): Batch => ({ id: ++batchIds, states: new Map(), held: { sends: [], local: [] }, urgent: false });

/** The acceptor's messages to itself that drive the group commit (acceptor.ts hands them to GroupCommit). */
export type DiskMessage =
  | { type: 'disk-start' }
  | { type: 'disk-commit' }
  | { type: 'disk-hold' }
  | { type: 'disk-synced'; batch: number; error?: string };
const isEmpty = (b: Batch): boolean => b.states.size === 0 && b.held.sends.length === 0 && b.held.local.length === 0;

export class GroupCommit {
  /** Not written yet. */
  private next: Batch = emptyBatch();
  /** Written, oldest first; their syncs in flight or done (`synced`) but waiting for an older one. */
  private flights: Batch[] = [];
  /** A start is scheduled (a deferred `disk-start`). */
  private scheduled = false;
  /** A lazy batch waits (the `disk-hold` timer runs). */
  private holding = false;
  /** The disk refused: the retry timer starts the next batch. */
  private retrying = false;
  private stopped = false;
  /** Set while the disk refuses our commits: what it said, for the clients whose writes are refused meanwhile. */
  failure: string | undefined;
  /** Called when `failure` changes. */
  onFailure: ((failure: string | undefined) => void) | undefined;

  constructor(
    private readonly ctx: ActorContext,
    private readonly records: AcceptorRecords,
    private readonly release: Release,
    /** Syncs in flight at most; a batch beyond waits for the oldest to end. */
    private readonly maxInFlight = MAX_IN_FLIGHT,
  ) {}

  /**
   * Take one drain of the core: let it out now if it depends on nothing
   * unstored, else keep it for the next batch. `lazy` (drain().lazy): it
   * does not start that batch itself; something urgent, or HOLD_MS, does.
   * `now` (votes for a peer's nomination): with no sync in flight and
   * nothing urgent gathered yet (a lone vote; under load votes gather while
   * syncs run, and wait for the deferred start to gather more) the batch is
   * written and its sync started in this turn, before the rest of the drain
   * (this node's proposer and its fills, which carry no vote of ours that
   * the peer waits for).
   */
  add(accepted: readonly AcceptorState[], out: Held, lazy = false, now = false): void {
    if (accepted.length === 0 && this.flights.length === 0 && isEmpty(this.next)) {
      this.release(out, false);
      return;
    }
    const b = this.next;
    // The disk is idle and nothing urgent gathers (lazy fills may: a lone
    // writer's next write finds them here): a lone vote. Under load votes
    // gather while syncs run.
    const idle = this.flights.length === 0 && !b.urgent;
    for (const a of accepted) b.states.set(a.seqn, a);
    for (const s of out.sends) b.held.sends.push(s);
    for (const m of out.local) b.held.local.push(m);
    if (lazy && !b.urgent) {
      if (!this.holding) {
        this.holding = true;
        this.ctx.setTimer('disk-hold', HOLD_MS, { type: 'disk-hold' } satisfies DiskMessage);
      }
      return;
    }
    b.urgent = true;
    if (now && idle) this.start();
    else this.schedule();
  }

  /** One of the messages above arrived: a scheduled start, the retry timer, or a sync's report. */
  receive(m: DiskMessage): void {
    switch (m.type) {
      case 'disk-start':
        this.scheduled = false;
        this.start();
        return;
      case 'disk-commit':
        this.retrying = false;
        this.start();
        return;
      case 'disk-hold':
        this.holding = false;
        if (!this.next.urgent && !isEmpty(this.next)) {
          this.next.urgent = true;
          this.schedule();
        }
        return;
      case 'disk-synced': {
        const b = this.flights.find((f) => f.id === m.batch);
        if (b) this.synced(b, m.error === undefined ? null : new Error(m.error));
        return;
      }
    }
  }

  /** The actor stops: drop what waits (a successor reloads the states from disk and from its durable core). */
  stop(): void {
    this.stopped = true;
    this.ctx.clearTimer('disk-retry');
    this.ctx.clearTimer('disk-hold');
  }

  private schedule(): void {
    if (this.scheduled || this.retrying) return;
    this.scheduled = true;
    // Disk idle: at once, after this drain (a lone write's vote). A sync in
    // flight: after the loop reads what is pending, so the batch gathers
    // more votes (fewer, larger syncs under load).
    this.ctx.defer({ type: 'disk-start' } satisfies DiskMessage, this.flights.length > 0);
  }

  /** Write the next batch and start its sync (unless too many are in flight: the oldest's end starts it). */
  private start(): void {
    if (this.stopped || this.retrying || isEmpty(this.next)) return;
    const b = this.next;
    if (b.states.size === 0) {
      // Messages that only wait behind older batches, to keep the order.
      if (this.flights.length > 0) return; // released with the last of them (settle)
      this.next = emptyBatch();
      this.release(b.held, false);
      return;
    }
    if (this.flights.length >= this.maxInFlight) return;
    this.next = emptyBatch();
    if (this.holding) {
      this.holding = false;
      this.ctx.clearTimer('disk-hold');
    }
    try {
      this.records.save([...b.states.values()]);
    } catch (e) {
      this.refused(b, e as Error);
      return;
    }
    this.flights.push(b);
    // The report comes back as a message, so the batch is released in a turn of this actor.
    // (deferred: it must not be refused by a full mailbox, or the batch would wait for ever).
    this.records.sync((err) => this.ctx.defer({ type: 'disk-synced', batch: b.id, ...(err ? { error: err.message } : {}) } satisfies DiskMessage));
  }

  private synced(b: Batch, err: Error | null): void {
    if (this.stopped) return;
    if (err) {
      // This batch and every later one (synced or not: they wait behind it) go back.
      const i = this.flights.indexOf(b);
      const back = this.flights.splice(i);
      const merged = emptyBatch();
      for (const x of [...back, this.next]) {
        for (const [seqn, a] of x.states) merged.states.set(seqn, a);
        merged.held.sends.push(...x.held.sends);
        merged.held.local.push(...x.held.local);
      }
      this.next = emptyBatch();
      this.refused(merged, err);
      return;
    }
    b.synced = true;
    if (this.failure) {
      this.ctx.log.warn('the disk takes writes again: voting resumes');
      this.failure = undefined;
      this.onFailure?.(undefined);
    }
    // In order: a batch's messages never pass an older batch's.
    while (this.flights.length > 0 && this.flights[0]!.synced) {
      const h = this.flights.shift()!.held;
      this.release(h, this.flights.length === 0 && !this.next.urgent);
    }
    // After the transport's flush of these messages (a lazy next batch waits on).
    if (this.next.urgent) this.schedule();
  }

  /** The disk refused batch `b`: put it back in front of the next one, and retry in a while. */
  private refused(b: Batch, e: Error): void {
    const n = this.next;
    // A later state of the same instance (in `n`) wins over b's.
    for (const [seqn, a] of n.states) b.states.set(seqn, a);
    b.held.sends.push(...n.held.sends);
    b.held.local.push(...n.held.local);
    this.next = b;
    if (!this.failure) {
      this.ctx.log.error(`cannot store acceptor states: ${e.message}; this node stops voting and refuses writes until the disk takes writes again (free space on the -data disk); retrying every ${RETRY_MS / 1000}s`);
      this.failure = `this node cannot store its votes on disk (${e.message}): write refused; free space on the node's -data disk, then retry`;
      this.onFailure?.(this.failure);
    }
    this.retrying = true;
    this.ctx.setTimer('disk-retry', RETRY_MS, { type: 'disk-commit' });
  }
}
