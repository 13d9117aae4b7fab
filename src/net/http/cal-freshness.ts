// Is a CAL keeping up? Every CAL rewrites /ctl/node/<id>/applied with its
// store rev every -pulse seconds (src/actors/pulse.ts), so a value that has
// not changed for a few pulses belongs to a CAL that is paused, partitioned,
// dead, or not yet taking part. The web view marks such a CAL "stale" in its
// status strip. Time is this node's wall clock, measured from when this node
// last saw the value change (or first saw it).

/** How many pulses without a new `applied` value make a CAL stale. */
export const STALE_PULSES = 3;

export class AppliedFreshness {
  private readonly seen = new Map<string, { applied: string; at: number }>();

  /**
   * @param staleAfterMs  no change for this long = stale (STALE_PULSES x pulse)
   * @param now           clock in ms (tests pass their own)
   */
  constructor(
    readonly staleAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Notes CAL `id`'s current `applied` body (may be '') and says whether it is stale. */
  isStale(id: string, applied: string): boolean {
    const t = this.now();
    const s = this.seen.get(id);
    if (!s || s.applied !== applied) {
      this.seen.set(id, { applied, at: t });
      return false;
    }
    return t - s.at >= this.staleAfterMs;
  }

  /** Forgets the CALs not in `ids` (they left their slots). */
  keepOnly(ids: ReadonlySet<string>): void {
    for (const id of this.seen.keys()) if (!ids.has(id)) this.seen.delete(id);
  }
}
