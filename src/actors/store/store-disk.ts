// The store actor's side of -data: every applied value goes to the chosen
// log (batched: one transaction per mailbox turn, through a `disk-log`
// message to itself; an 'ordered' connection: no fsync of its own),
// and every `snapshotEvery` revs the store's files replace the snapshot on
// disk, which drops the log and acceptor rows it covers. The log is a
// shortcut for restarts, not what makes a write durable (the acceptors'
// votes are, see ../acceptor-disk.ts): when the disk refuses, the store goes
// on serving and the log catches up once it can.
import type { ActorContext } from '../../runtime/actor.js';
import type { ChosenLog } from '../../storage/chosen-log.js';
import type { Store } from './store.js';

const RETRY_MS = 1000;

export class StoreDisk {
  private pending: { seqn: number; mutation: Uint8Array }[] = [];
  private queued = false;
  private failing = false;
  /** Rev of the snapshot on disk. */
  private snapshotRev: number;

  constructor(
    private readonly ctx: ActorContext,
    private readonly log: ChosenLog,
    /** Revs between snapshots. */
    private readonly every: number,
    snapshotRev: number,
  ) {
    this.snapshotRev = snapshotRev;
  }

  /** Value `mutation` was applied at `seqn`: log it with the next commit. */
  applied(seqn: number, mutation: Uint8Array): void {
    this.pending.push({ seqn, mutation });
    this.queue();
  }

  private queue(): void {
    if (this.queued) return;
    this.queued = true;
    // The next turn of the store: after the values applied in this one, and
    // mostly before the clients' answers leave. A value acknowledged but not
    // logged when the node dies comes back from the stored votes; until it
    // has, the restarted store holds reads (StoreActorArgs.recoverTo).
    if (!this.ctx.send(this.ctx.self, { type: 'disk-log' })) this.ctx.setTimer('disk-log', 0, { type: 'disk-log' });
  }

  /** Commit the pending values; take a snapshot when one is due. */
  flush(store: Store): void {
    this.queued = false;
    try {
      this.log.append(this.pending);
      this.pending = [];
      if (store.rev - this.snapshotRev >= this.every) this.snapshot(store);
    } catch (e) {
      if (!this.failing) this.ctx.log.error(`cannot write the chosen log: ${(e as Error).message}; still serving from memory, retrying every ${RETRY_MS / 1000}s (free space on the -data disk)`);
      this.failing = true;
      this.queued = true;
      this.ctx.setTimer('disk-log', RETRY_MS, { type: 'disk-log' });
      return;
    }
    if (this.failing) this.ctx.log.warn('the chosen log is written again');
    this.failing = false;
  }

  /** Replace the snapshot on disk with the store at its current rev (the store jumped, or one is due). Throws on a disk error. */
  snapshot(store: Store): void {
    // Values at or below the snapshot are in it; a jump makes the rest useless.
    this.pending = this.pending.filter((p) => p.seqn > store.rev);
    this.log.snapshot(store.rev, store.files());
    this.snapshotRev = store.rev;
  }

  /** Snapshot now, or at the next flush if the disk refuses. */
  snapshotSoon(store: Store): void {
    try {
      this.snapshot(store);
    } catch (e) {
      this.ctx.log.error(`cannot write a snapshot: ${(e as Error).message}; retrying`);
      this.snapshotRev = -Infinity;
      this.queue();
    }
  }
}
