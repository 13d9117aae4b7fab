// Group commit of acceptor states for the acceptor actor (with -data).
//
// Paxos asks that an acceptor never forget a promise or a vote. What the
// acceptor lets out after a promise or vote (RSVP, VOTE, to peers and to this
// node's own proposer and learner) waits here until the states changed since
// the last commit are stored and fsynced; so does anything produced after
// them, to keep the order.
//
// Every drain of the core adds to the batch; the first one queues a
// `disk-commit` message to the actor itself, which runs after the messages
// already in its mailbox: everything that arrived in one turn shares one
// fsync. When the disk refuses (full, I/O error) the batch is kept and
// retried every second: the node stops voting (the others go on without
// it), and nothing that depends on an unstored state ever leaves.
import type { ActorContext } from '../runtime/actor.js';
import type { AcceptorState, PaxosMsg, Send } from './paxos/index.js';
import type { AcceptorRecords } from '../storage/acceptor-records.js';

const RETRY_MS = 1000;

/** What waits for the disk: messages to peers and to this node's own roles. */
export interface Held {
  sends: Send[];
  local: PaxosMsg[];
}

type Release = (h: Held) => void;

export class GroupCommit {
  private accepted = new Map<number, AcceptorState>();
  private held: Held = { sends: [], local: [] };
  private queued = false;
  /** Set while the disk refuses our commits: what it said, for the clients whose writes are refused meanwhile. */
  failure: string | undefined;
  /** Called when `failure` changes. */
  onFailure: ((failure: string | undefined) => void) | undefined;

  constructor(
    private readonly ctx: ActorContext,
    private readonly records: AcceptorRecords,
  ) {}

  private get holding(): boolean {
    return this.accepted.size > 0 || this.held.sends.length > 0 || this.held.local.length > 0;
  }

  /** Take one drain of the core: let it out now if it depends on nothing unstored, else keep it for the next commit. */
  add(accepted: readonly AcceptorState[], out: Held, release: Release): void {
    if (accepted.length === 0 && !this.holding) {
      release(out);
      return;
    }
    for (const a of accepted) this.accepted.set(a.seqn, a);
    for (const s of out.sends) this.held.sends.push(s);
    for (const m of out.local) this.held.local.push(m);
    if (!this.queued) {
      this.queued = true;
      if (!this.ctx.send(this.ctx.self, { type: 'disk-commit' })) this.commit(release);
    }
  }

  /** Store the batch (one fsynced transaction), then let out what waited for it. */
  commit(release: Release): void {
    this.queued = false;
    if (!this.holding) return;
    try {
      this.records.save([...this.accepted.values()]);
    } catch (e) {
      if (!this.failure) {
        this.ctx.log.error(`cannot store acceptor states: ${(e as Error).message}; this node stops voting and refuses writes until the disk takes writes again (free space on the -data disk); retrying every ${RETRY_MS / 1000}s`);
        this.failure = `this node cannot store its votes on disk (${(e as Error).message}): write refused; free space on the node's -data disk, then retry`;
        this.onFailure?.(this.failure);
      }
      this.queued = true;
      this.ctx.setTimer('disk-retry', RETRY_MS, { type: 'disk-commit' });
      return;
    }
    if (this.failure) {
      this.ctx.log.warn('the disk takes writes again: voting resumes');
      this.failure = undefined;
      this.onFailure?.(undefined);
    }
    const h = this.held;
    this.accepted = new Map();
    this.held = { sends: [], local: [] };
    release(h);
  }
}
