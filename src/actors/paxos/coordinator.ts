// Coordinator of one instance on one node (spec/consensus.md).
//
// The node of index i in the instance's CAL list (k CALs) owns rounds
// i + k, i + 2k, ... On PROPOSE(v) it starts a round: broadcast INVITE(crnd).
// On a quorum of RSVPs for that round (one per CAL) it broadcasts
// NOMINATE(crnd, w), w being the value of the highest vrnd reported, or v if
// no RSVP reported a vote. On TICK (its timeout, at a random time in
// [0, bound], bound doubling per retry) it moves to a later round of its own
// and invites again. It stops when the instance is learned.
//
// Round-1 fast path (our addition; wire compatible):
//
//   The instance's leader (cals[n mod k]) may start its FIRST proposal in the
//   instance by sending NOMINATE(1, v) directly, skipping phase 1.
//   Why this is safe:
//   - Under the i + k rule every owned round is >= k, so for k >= 2 rounds
//     1..k-1 belong to nobody. We give round 1 to the instance's leader only
//     (for k = 1 the single node owns 1, 2, 3, ...: we then never use 1 as a
//     normal round, its normal rounds start at 2). The leader uses round 1 at
//     most once per instance, with one value. So round 1, like any Paxos
//     round, has one coordinator and one value.
//   - Phase 1 of round r exists to find values that may have been chosen in
//     rounds below r. Below round 1 there are no rounds (0 means "no vote"),
//     so phase 1 of round 1 would always report "no vote": skipping it and
//     nominating the leader's own value is exactly what a full round 1 would
//     do.
//   - Acceptors need no change: NOMINATE(1, v) passes the ordinary rule
//     (crnd >= rnd and crnd != vrnd) only while the acceptor has promised
//     nothing higher than 1. Later rounds find round-1 votes through RSVPs
//     like any other vote (vrnd = 1), so the usual invariant holds.
//   - If acceptors already promised a higher round (a fill coordinator got
//     there first) they ignore the NOMINATE; the leader's timeout then moves
//     it to the normal path (INVITE with its next own round above what its
//     own acceptor has seen), re-proposing its value there.
//   A write then takes one round trip (NOMINATE -> VOTE) instead of two.
//
// Pure: no timers; the caller passes `now` and a random source, reads
// `tickAt` and calls `tick` when that time has come.

import { Cmd, EMPTY, msg, type PaxosMsg, type Rng } from './types.js';

export interface CoordinatorTiming {
  /** First tick bound after an INVITE, ms (spec: 1). */
  initialBoundMs: number;
  /** Cap of the doubling bound, ms (ours: keeps retries frequent after long faults). */
  maxBoundMs: number;
  /** Timeout of a round-1 fast nomination before falling back to INVITE, ms. */
  fastTimeoutMs: number;
}

/** The first round of node `idx` (of k) strictly above `above`, never round 1. */
export function nextOwnRound(idx: number, k: number, above: number): number {
  // Own rounds are idx + m*k for m >= 1.
  let m = Math.floor((above - idx) / k) + 1;
  if (m < 1) m = 1;
  let r = idx + m * k;
  if (r === 1) r += k; // k = 1: round 1 is the fast round only
  return r;
}

export class Coordinator {
  /** Current round; 0 before the first proposal. */
  crnd = 0;
  /** This node's own value (what it was asked to propose). */
  value: Uint8Array = EMPTY;
  /** Whether NOMINATE was sent for crnd. */
  nominated = false;
  /** Next time `tick` has work to do (Infinity: none). */
  tickAt = Infinity;
  /** Current tick bound, ms. */
  bound = 0;
  /** Number of rounds started (1 for the first). */
  rounds = 0;

  private readonly rsvps: Uint8Array;
  private rsvpCount = 0;
  private bestVrnd = 0;
  private bestValue: Uint8Array = EMPTY;

  constructor(
    readonly idx: number,
    readonly k: number,
    readonly quorum: number,
    private readonly timing: CoordinatorTiming,
  ) {
    this.rsvps = new Uint8Array(k);
  }

  get started(): boolean {
    return this.crnd !== 0;
  }

  /**
   * PROPOSE(v). `fast`: this node leads the instance and may use round 1.
   * `floor`: highest round this node's acceptor has seen. Returns the message
   * to broadcast (INVITE or, on the fast path, NOMINATE), or null if this
   * coordinator already has a proposal.
   */
  propose(seqn: number, v: Uint8Array, fast: boolean, floor: number, now: number, rng: Rng): PaxosMsg | null {
    if (this.crnd !== 0) return null;
    this.value = v;
    this.bound = this.timing.initialBoundMs;
    if (fast && floor < 1) {
      this.crnd = 1;
      this.rounds = 1;
      this.nominated = true;
      this.tickAt = now + this.timing.fastTimeoutMs;
      return msg(Cmd.NOMINATE, seqn, 1, 0, v);
    }
    return this.startRound(seqn, floor, now, rng);
  }

  /** RSVP(crnd, vrnd, vval) from the CAL of index `idx`. Returns NOMINATE to broadcast on quorum. */
  rsvp(seqn: number, idx: number, crnd: number, vrnd: number, vval: Uint8Array): PaxosMsg | null {
    if (crnd !== this.crnd || this.nominated || idx < 0 || idx >= this.k) return null;
    if (this.rsvps[idx] !== 0) return null;
    this.rsvps[idx] = 1;
    this.rsvpCount++;
    if (vrnd > this.bestVrnd) {
      this.bestVrnd = vrnd;
      this.bestValue = vval;
    }
    if (this.rsvpCount < this.quorum) return null;
    this.nominated = true;
    const v = this.bestVrnd > 0 ? this.bestValue : this.value;
    return msg(Cmd.NOMINATE, seqn, this.crnd, 0, v);
  }

  /**
   * TICK at `now`. If the timeout has passed, start the next own round above
   * max(crnd, floor) and return the INVITE to broadcast; else null.
   */
  tick(seqn: number, floor: number, now: number, rng: Rng): PaxosMsg | null {
    if (now < this.tickAt) return null;
    // The first INVITE after a fast nomination uses the initial bound.
    if (this.crnd !== 1) this.bound = Math.min(this.bound * 2, this.timing.maxBoundMs);
    return this.startRound(seqn, floor, now, rng);
  }

  /** The instance is decided: no more rounds. */
  stop(): void {
    this.tickAt = Infinity;
  }

  private startRound(seqn: number, floor: number, now: number, rng: Rng): PaxosMsg {
    const r = nextOwnRound(this.idx, this.k, Math.max(this.crnd, floor));
    this.crnd = r;
    this.rounds++;
    this.nominated = false;
    this.rsvps.fill(0);
    this.rsvpCount = 0;
    this.bestVrnd = 0;
    this.bestValue = EMPTY;
    this.tickAt = now + rng() * this.bound;
    return msg(Cmd.INVITE, seqn, r, 0, EMPTY);
  }
}
