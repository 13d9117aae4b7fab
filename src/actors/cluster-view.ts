// One view of the cluster, the same for every actor of a node (proposer,
// acceptor, learner, liveness, slave-watcher): the /ctl/cal/* slots as the
// store applies them, the CAL list they give (spec/consensus.md), and
// whether this node is a CAL of instance n.
//
// The CAL list of instance n is the store at version n - alpha, so a node
// listed from version d takes part from d + alpha, and one unlisted at
// version e stops at e + alpha. A version whose slots list no CAL
// (calListOf: none names a reachable node) keeps the previous list, as the
// spec says, so deleting or garbling every slot cannot turn the last CALs
// into slaves. Pure: fed the slots by store-cals / store-event messages
// (`withCals` subscribers of the store).
import { calListOf, type CtlCal } from './store/ctl.js';

/** A CAL as the Paxos instances see it: node id and consensus address. */
export interface CalAddr {
  id: string;
  addr: string;
  /** Runs this implementation (paxos/types.ts Cal.ours). */
  ours: boolean;
}

export class ClusterView {
  /** First seqn this node is a CAL of (Infinity: not a CAL). */
  calFrom = Infinity;
  /** First seqn it no longer is (Infinity: still listed). */
  calUntil = Infinity;
  /** Version at which it was last unlisted (for log messages). */
  removedAt = 0;
  /** Every /ctl/cal/* slot as of the last version seen, free and garbled ones included. */
  slots: CtlCal[] = [];
  /** The CAL list: the last non-empty calListOf(slots). */
  cals: CtlCal[] = [];

  constructor(
    readonly selfId: string,
    readonly alpha: number,
  ) {}

  /** The slots at the first version this node knows (its store's rev when it started): instances after it use this list. */
  start(rev: number, slots: readonly CtlCal[]): void {
    this.slots = [...slots];
    const list = calListOf(slots);
    if (list.length > 0) this.cals = list;
    if (list.some((c) => c.id === this.selfId)) {
      this.calFrom = rev + 1;
      this.calUntil = Infinity;
    }
  }

  /** The slots changed at version `rev`. Returns what changed for this node. */
  update(rev: number, slots: readonly CtlCal[]): 'joined' | 'removed' | undefined {
    this.slots = [...slots];
    const list = calListOf(slots);
    if (list.length === 0) return undefined;
    this.cals = list;
    const listed = list.some((c) => c.id === this.selfId);
    const member = this.calFrom !== Infinity && this.calUntil === Infinity;
    if (listed && !member) {
      this.calFrom = rev + this.alpha;
      this.calUntil = Infinity;
      return 'joined';
    }
    if (!listed && member) {
      this.calUntil = rev + this.alpha;
      this.removedAt = rev;
      return 'removed';
    }
    return undefined;
  }

  /** This node follows as a slave from here on (it left its last instance, or was removed and settles by copying). */
  becomeSlave(): void {
    this.calFrom = Infinity;
    this.calUntil = Infinity;
  }

  /** Whether this node is a CAL of instance `seqn`. */
  isCalAt(seqn: number): boolean {
    return seqn >= this.calFrom && seqn < this.calUntil;
  }

  /** Whether this node is listed now (it may still be inside its last alpha instances when not). */
  get listed(): boolean {
    return this.calFrom !== Infinity && this.calUntil === Infinity;
  }

  /** The CAL list for the instances that open now (id and address). */
  instanceCals(): CalAddr[] {
    return this.cals.map((c) => ({ id: c.id, addr: c.addr, ours: c.ours }));
  }

  /**
   * Open the instances that store version `rev` makes due, the store having
   * been at version `prev` before (instance n opens when version n - alpha
   * is applied): open(n, cals) for n = max(prev + alpha, rev) + 1 up to
   * rev + alpha, in order, each with instanceCals() as of this call; none
   * when rev <= prev. The acceptor, learner and proposer call it on each
   * store event.
   */
  openDue(prev: number, rev: number, open: (seqn: number, cals: CalAddr[]) => void): void {
    const cals = this.instanceCals();
    for (let n = Math.max(prev + this.alpha, rev) + 1; n <= rev + this.alpha; n++) open(n, cals);
  }

  /** Addresses of the CALs that run this implementation (batched datagrams allowed). */
  ourAddrs(): string[] {
    return this.cals.filter((c) => c.ours).map((c) => c.addr);
  }

  /** Addresses of the other CALs (to follow, to hear from). */
  otherCalAddrs(): string[] {
    return this.cals.filter((c) => c.id !== this.selfId).map((c) => c.addr);
  }
}
