// Learner of one instance (spec/consensus.md).
//
// Counts VOTEs of the highest round seen, one per sending CAL (by index in
// the instance's CAL list); a vote of a higher round resets the count, votes
// of lower rounds are ignored. When a quorum voted one value in one round,
// that value is learned. A LEARN message is accepted directly.
//
// In a correct cluster every vote of one round carries the same value (one
// coordinator per round, one nomination per round). A vote that disagrees
// with the first vote counted in its round is ignored rather than trusted.

import { bytesEqual } from './types.js';

export class Learner {
  /** Round being counted (0 before the first vote). */
  round = 0;
  count = 0;
  /** Value of the votes of `round`. */
  roundValue: Uint8Array | null = null;
  /** The learned value, once known. */
  value: Uint8Array | null = null;
  private readonly seen: Uint8Array;

  constructor(
    k: number,
    private readonly quorum: number,
  ) {
    this.seen = new Uint8Array(k);
  }

  get done(): boolean {
    return this.value !== null;
  }

  /**
   * A VOTE(vrnd, v) from the CAL of index `idx`. Returns the value when this
   * vote completes a quorum (the instance is learned now), else null.
   */
  vote(idx: number, vrnd: number, v: Uint8Array): Uint8Array | null {
    if (this.value !== null || vrnd <= 0 || idx < 0 || idx >= this.seen.length) return null;
    if (vrnd > this.round) {
      this.round = vrnd;
      this.count = 0;
      this.seen.fill(0);
      this.roundValue = v;
    } else if (vrnd < this.round) {
      return null;
    } else if (this.roundValue !== null && !bytesEqual(this.roundValue, v)) {
      return null;
    }
    if (this.seen[idx] !== 0) return null;
    this.seen[idx] = 1;
    this.count++;
    if (this.count >= this.quorum) {
      this.value = this.roundValue ?? v;
      return this.value;
    }
    return null;
  }

  /** A LEARN(v). Returns v when this learns the instance, null if already learned. */
  learn(v: Uint8Array): Uint8Array | null {
    if (this.value !== null) return null;
    this.value = v;
    return v;
  }
}
