// Whether this node is a CAL of instance n (spec/consensus.md): the CAL list
// of instance n is the store at version n - alpha, so a node listed from
// version d takes part from d + alpha, and one unlisted at version e stops at
// e + alpha. A version whose slots list no CAL (calListOf: none names a
// reachable node) keeps the previous list, as the spec says, so deleting or
// garbling every slot cannot turn the last CALs into slaves. Pure: fed the
// /ctl/cal/* slots as the store changes.
import { calListOf, type CtlCal } from './store/ctl.js';

export class Membership {
  /** First seqn this node is a CAL of (Infinity: not a CAL). */
  calFrom = Infinity;
  /** First seqn it no longer is (Infinity: still listed). */
  calUntil = Infinity;
  /** Version at which it was last unlisted (for log messages). */
  removedAt = 0;

  constructor(
    readonly selfId: string,
    readonly alpha: number,
  ) {}

  /** Whether this node is in the CAL list of `slots`; undefined when they list no CAL (the previous list stands). */
  private listed(slots: readonly CtlCal[]): boolean | undefined {
    const cals = calListOf(slots);
    return cals.length === 0 ? undefined : cals.some((c) => c.id === this.selfId);
  }

  /** The slots at the first version this node knows (its store's rev when it started): instances after it use this list. */
  start(rev: number, slots: readonly CtlCal[]): void {
    if (this.listed(slots)) {
      this.calFrom = rev + 1;
      this.calUntil = Infinity;
    }
  }

  /** The slots changed at version `rev`. Returns what changed for this node. */
  update(rev: number, slots: readonly CtlCal[]): 'joined' | 'removed' | undefined {
    const listed = this.listed(slots);
    if (listed === undefined) return undefined;
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

  isCalAt(seqn: number): boolean {
    return seqn >= this.calFrom && seqn < this.calUntil;
  }
}
