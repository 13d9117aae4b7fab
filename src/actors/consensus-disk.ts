// Group commit of acceptor states for the consensus actor (with -data).
//
// Paxos asks that an acceptor never forget a promise or a vote. A message
// that carries one (RSVP, VOTE), a LEARN that may count our own vote, and
// the decisions and written notes that may rest on it, wait here until the
// acceptor states changed since the last commit are stored and fsynced.
// INVITE and NOMINATE carry no acceptor state and leave at once, so a
// leader's nomination travels while its own vote is being written.
//
// Every drain of the core adds to the batch; the first one queues a
// `disk-commit` message to the actor itself, which runs after the messages
// already in its mailbox: everything that arrived in one turn shares one
// fsync. When the disk refuses (full, I/O error) the batch is kept and
// retried every second: the node stops voting (the others go on without
// it), and nothing that depends on an unstored state ever leaves.
import type { ActorContext } from '../runtime/actor.js';
import { Cmd, type AcceptorState, type Learned, type Ready, type Send, type Written } from './paxos/index.js';
import type { AcceptorRecords } from '../storage/acceptor-records.js';

const RETRY_MS = 1000;

/** What waits for the disk. */
export interface Held {
  sends: Send[];
  learned: Learned[];
  written: Written[];
}

type Release = (h: Held) => void;

export class GroupCommit {
  private accepted = new Map<number, AcceptorState>();
  private held: Held = { sends: [], learned: [], written: [] };
  private queued = false;
  /** Set while the disk refuses our commits: what it said, for the clients whose writes are refused meanwhile. */
  failure: string | undefined;

  constructor(
    private readonly ctx: ActorContext,
    private readonly records: AcceptorRecords,
  ) {}

  private get holding(): boolean {
    return this.accepted.size > 0 || this.held.sends.length > 0 || this.held.learned.length > 0 || this.held.written.length > 0;
  }

  /** Take one drain of the core: let out what may go now, keep the rest for the next commit. */
  add(r: Ready, release: Release): void {
    if (r.accepted.length === 0 && !this.holding) {
      release(r);
      return;
    }
    const now: Send[] = [];
    for (const s of r.sends) {
      if (s.msg.cmd === Cmd.INVITE || s.msg.cmd === Cmd.NOMINATE) now.push(s);
      else this.held.sends.push(s);
    }
    if (now.length) release({ sends: now, learned: [], written: [] });
    for (const a of r.accepted) this.accepted.set(a.seqn, a);
    for (const l of r.learned) this.held.learned.push(l);
    for (const w of r.written) this.held.written.push(w);
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
      if (!this.failure) this.ctx.log.error(`cannot store acceptor states: ${(e as Error).message}; this node stops voting and refuses writes until the disk takes writes again (free space on the -data disk); retrying every ${RETRY_MS / 1000}s`);
      this.failure = `this node cannot store its votes on disk (${(e as Error).message}): write refused; free space on the node's -data disk, then retry`;
      this.queued = true;
      this.ctx.setTimer('disk-retry', RETRY_MS, { type: 'disk-commit' });
      return;
    }
    if (this.failure) this.ctx.log.warn('the disk takes writes again: voting resumes');
    this.failure = undefined;
    const h = this.held;
    this.accepted = new Map();
    this.held = { sends: [], learned: [], written: [] };
    release(h);
  }
}
